"""A small scripted HTTP server on 127.0.0.1 (port 0) for feed tests and benchmarks.

    with FeedServer() as server:
        server.route("/rss", Reply(body=data, headers={"Content-Type": "application/rss+xml"}, etag='"v1"'))
        url = server.url("/rss")

A Reply can drip its body one byte at a time, stream chunks from an iterator (50 MB
without holding it), redirect, answer 304 to a matching If-None-Match, or change on each
request (a list of replies is served in turn, the last one repeating). Every request's
path and headers are recorded in `server.requests`.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    """Sent as ETag; a request with a matching If-None-Match gets 304."""
    drip: float = 0.0
    """Seconds between single bytes of the body."""
    chunks: Callable[[], Iterable[bytes]] | None = None
    """A body streamed from a fresh iterator per request (no Content-Length)."""
    redirect: str = ""
    """Location for a 302 (status is set to 302 unless it is already 3xx)."""
    delay: float = 0.0
    """Seconds to wait before answering at all."""


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class FeedServer:
    def __init__(self, tls: "ssl.SSLContext | None" = None) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                server._serve(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:  # https on loopback, with whatever certificate the test made
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def route(self, path: str, *replies: Reply) -> str:
        with self._lock:
            self.routes[path] = list(replies)
        return self.url(path)

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _next(self, path: str) -> Reply | None:
        with self._lock:
            replies = self.routes.get(path)
            if not replies:
                return None
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self._lock:
            self.requests.append(Seen(path, {k.lower(): v for k, v in handler.headers.items()}))
        reply = self._next(path.split("?", 1)[0]) or self._next(path)
        try:
            if reply is None:
                handler.send_response(404)
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            if reply.delay:
                time.sleep(reply.delay)
            if reply.redirect:
                handler.send_response(reply.status if 300 <= reply.status < 400 else 302)
                handler.send_header("Location", reply.redirect)
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            if reply.etag and handler.headers.get("If-None-Match") == reply.etag:
                handler.send_response(304)
                handler.send_header("ETag", reply.etag)
                handler.end_headers()
                return
            handler.send_response(reply.status)
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            if reply.etag:
                handler.send_header("ETag", reply.etag)
            if reply.chunks is None:
                handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            if reply.chunks is not None:
                for chunk in reply.chunks():
                    handler.wfile.write(chunk)
            elif reply.drip:
                for i in range(len(reply.body)):
                    handler.wfile.write(reply.body[i:i + 1])
                    handler.wfile.flush()
                    time.sleep(reply.drip)
            else:
                handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass  # the client gave up (deadline, size cap): that is the point of many tests

    def start(self) -> "FeedServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "FeedServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
