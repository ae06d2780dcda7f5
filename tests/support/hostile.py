"""Hostile receivers on 127.0.0.1 (port 0), on raw sockets so they can misbehave byte by byte.

    with HostileServer(hang()) as server:        # reads the request, never answers
    with HostileServer(drip(b"HTTP/1.1 200 OK\r\n...", every=2.0)) as server
    with HostileServer(huge(200, 100 * 2**20)) as server   # 100 MB answer, streamed, never held
    with HostileServer(drip(b"220 mail ESMTP\r\n", every=2.0)) as server   # an SMTP banner, one byte at a time

`server.arrived` is set at the first connection; `server.sent` counts the bytes written.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

Behaviour = Callable[["HostileServer", socket.socket], None]


def _read_request(conn: socket.socket) -> None:
    conn.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
    except OSError:
        return


def hang(read_request: bool = True) -> Behaviour:
    def run(server: HostileServer, conn: socket.socket) -> None:
        if read_request:
            _read_request(conn)
        server.stopping.wait()

    return run


def drip(data: bytes, every: float, read_request: bool = True, repeat: bool = True, head: bytes = b"") -> Behaviour:
    """Send `head` at once, then `data` one byte per `every` seconds (over and over when `repeat`), until the client goes."""

    def run(server: HostileServer, conn: socket.socket) -> None:
        if read_request:
            _read_request(conn)
        if head:
            try:
                conn.sendall(head)
            except OSError:
                return
        while not server.stopping.is_set():
            for i in range(len(data)):
                if server.stopping.wait(every if i else 0):
                    return
                try:
                    conn.sendall(data[i:i + 1])
                    server.count(1)
                except OSError:
                    return
            if not repeat:
                server.stopping.wait()
                return

    return run


def huge(status: int, size: int) -> Behaviour:
    """Answer `status` with a body of `size` bytes, streamed in 64 KiB chunks of one buffer."""
    chunk = b"x" * 65536

    def run(server: HostileServer, conn: socket.socket) -> None:
        _read_request(conn)
        head = f"HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode()
        try:
            conn.sendall(head)
            left = size
            while left > 0 and not server.stopping.is_set():
                piece = chunk[:min(left, len(chunk))]
                conn.sendall(piece)
                server.count(len(piece))
                left -= len(piece)
        except OSError:
            return

    return run


class HostileServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.arrived = threading.Event()
        self.stopping = threading.Event()
        self.connections = 0
        self.sent = 0
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self, n: int) -> None:
        with self._lock:
            self.sent += n

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.append(conn)
            self.arrived.set()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.behaviour(self, conn)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def __enter__(self) -> "HostileServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); close() alone does not
        except OSError:
            pass
        self.listener.close()
        with self._lock:
            for conn in self._open:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
