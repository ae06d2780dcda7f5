"""Fetching sources safely with one httpx.AsyncClient per poll.

Per source: a per-read timeout, an overall deadline (a server dripping a byte every few
seconds is cut off there), a size cap on the bytes on the wire *and* after decompression
(we decode gzip/deflate ourselves with a bounded `decompress(max_length=…)`, so a gzip
bomb never grows past the cap), redirects followed by hand through watchdesk.feeds.guard,
conditional GET, and `file://` for shared folders. Every failure is one sentence that a
duty officer understands, starting with a verb ("timed out after 20 s").
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Literal, TypeVar
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import httpx

from watchdesk import __version__
from watchdesk.feeds.guard import host_port, redirect_refusal

USER_AGENT = f"watchdesk/{__version__} (cyber-security watch desk; feed reader)"
ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, application/json;q=0.9, text/xml;q=0.8, text/html;q=0.5, */*;q=0.1"
MAX_REDIRECTS = 5
T = TypeVar("T")
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchRequest:
    key: str
    url: str
    timeout: float = 20.0
    deadline: float = 60.0
    max_bytes: int = 10_000_000
    etag: str = ""
    last_modified: str = ""
    stop_off_host: bool = False
    """A redirect to another host is reported (status 'redirected'), not followed: a site check."""


@dataclass
class FetchResult:
    key: str
    status: Literal["ok", "not-modified", "error", "redirected"]
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    final_url: str = ""
    error: str = ""
    http_status: int | None = None
    retry_after: str = ""
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)
    cert_not_after: float | None = None
    """When the verified TLS certificate of the last answer expires (epoch seconds); None over http."""
    tls_error: bool = False
    """The failure is the server's certificate (untrusted, expired, another name), not the server being down."""


class FetchError(Exception):
    """A failed fetch; the message is the officer's sentence."""

    def __init__(self, sentence: str, http_status: int | None = None, retry_after: str = "", tls: bool = False) -> None:
        super().__init__(sentence)
        self.http_status = http_status
        self.retry_after = retry_after
        self.tls = tls


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 1 else f"{value:.1f} s"


def _megabytes(value: int) -> str:
    return f"{value / 1_000_000:.1f} MB" if value < 10_000_000 else f"{value / 1_000_000:.0f} MB"


_STATUS_WORDS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 410: "Gone",
    429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}


def status_sentence(code: int) -> str:
    words = f"{code} {_STATUS_WORDS.get(code, '')}".strip()
    if code in (404, 410):
        return f"returned {words}: the address may have moved; check the source's url"
    if code in (401, 403):
        return f"refused access ({words})"
    if code == 429:
        return f"asked watchdesk to slow down ({words})"
    if code >= 500:
        return f"had a server error ({words})"
    return f"answered {words}, not a feed"


def _tls_sentence(text: str) -> str:
    low = text.lower()
    if "expired" in low:
        return "presented a certificate that has expired"
    if "self signed" in low or "self-signed" in low:
        return "presented a self-signed certificate"
    if "hostname mismatch" in low or "doesn't match" in low or "not valid for" in low:
        return "presented a certificate issued for another name"
    if "unable to get local issuer" in low:
        return "presented a certificate from an unknown authority"
    return "presented a certificate that could not be verified"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_tls_failure(exc: BaseException) -> bool:
    """The server's certificate failed verification, as opposed to no answer at all."""
    chain = _chain(exc)
    return any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or "CERTIFICATE_VERIFY_FAILED" in " | ".join(str(e) for e in chain)


def _cert_not_after(response: httpx.Response) -> float | None:
    stream = response.extensions.get("network_stream")
    tls = stream.get_extra_info("ssl_object") if stream is not None else None
    cert = tls.getpeercert() if tls is not None else None
    try:
        return ssl.cert_time_to_seconds(cert["notAfter"]) if cert else None
    except (KeyError, ValueError):
        return None


def error_sentence(exc: BaseException, req: FetchRequest, url: str) -> str:
    host = urlsplit(url).netloc or url
    chain = _chain(exc)
    text = " | ".join(str(e) for e in chain)
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return f"refused the connection ({host}); the server may be down"
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain):
        return _tls_sentence(text)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect to {host} within {_seconds(req.timeout)}"
    if isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)):
        return f"timed out after {_seconds(req.timeout)}"
    if any(isinstance(e, ssl.SSLError) for e in chain) or "CERTIFICATE_VERIFY_FAILED" in text:
        return _tls_sentence(text)
    if isinstance(exc, httpx.ConnectError):
        low = text.lower()
        if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low or "no address" in low or "temporary failure in name resolution" in low:
            return f"could not find the server {host} (DNS lookup failed)"
        if "refused" in low:
            return f"refused the connection ({host}); the server may be down"
        if "unreachable" in low:
            return f"is unreachable ({host}); check the network"
        return f"could not connect to {host}"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return "closed the connection in the middle of its answer"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "has an address watchdesk cannot fetch (only http, https and file)"
    if isinstance(exc, httpx.InvalidURL):
        return "has an invalid url; check the source's url"
    return f"failed ({type(exc).__name__})"


class _Capped:
    """Wire bytes in, decoded bytes out, both counted against the cap."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap = cap
        self.wire = 0
        self.out = bytearray()
        enc = encoding.strip().lower()
        if enc in ("", "identity"):
            self.decoder = None
        elif enc in ("gzip", "x-gzip"):
            self.decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self.decoder = zlib.decompressobj()
            self._raw_deflate_fallback = True
        else:
            raise FetchError(f"sent its answer compressed as '{enc}', which watchdesk did not ask for")

    def _too_big(self, after: str) -> FetchError:
        after = f" {after}" if after else ""
        return FetchError(f"sent more than {_megabytes(self.cap)}{after}; raise max_bytes for this source if that is expected")

    def feed(self, chunk: bytes) -> None:
        self.wire += len(chunk)
        if self.wire > self.cap:
            raise self._too_big("")
        if self.decoder is None:
            self.out += chunk
            return
        data = chunk
        while data:
            try:
                piece = self.decoder.decompress(data, self.cap - len(self.out) + 1)
            except zlib.error:
                if getattr(self, "_raw_deflate_fallback", False) and not self.out:
                    self.decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._raw_deflate_fallback = False
                    continue
                raise FetchError("sent a compressed answer that is corrupt") from None
            self.out += piece
            if len(self.out) > self.cap:
                raise self._too_big("once decompressed")
            data = self.decoder.unconsumed_tail
            if not piece and data:
                break

    def finish(self) -> bytes:
        if self.decoder is not None:
            self.out += self.decoder.flush()
            if len(self.out) > self.cap:
                raise self._too_big("once decompressed")
        return bytes(self.out)


async def _read_body(response: httpx.Response, cap: int) -> bytes:
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap and not response.headers.get("content-encoding"):
        raise FetchError(f"announced {_megabytes(int(length))}, more than the {_megabytes(cap)} allowed; raise max_bytes for this source if that is expected")
    capped = _Capped(response.headers.get("content-encoding", ""), cap)
    async for chunk in response.aiter_raw(_READ_CHUNK):
        capped.feed(chunk)
    return capped.finish()


def _read_file(req: FetchRequest) -> FetchResult:
    parts = urlsplit(req.url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError("has a file: url with a host; use file:///path/on/this/machine")
    path = url2pathname(unquote(parts.path))
    try:
        stat = os.stat(path)
        if stat.st_size > req.max_bytes:
            raise FetchError(f"is a file of {_megabytes(stat.st_size)}, more than the {_megabytes(req.max_bytes)} allowed; raise max_bytes if that is expected")
        modified = formatdate(stat.st_mtime, usegmt=True) + f" ({stat.st_size})"
        if req.last_modified and req.last_modified == modified:
            return FetchResult(req.key, "not-modified", last_modified=modified, final_url=req.url)
        with open(path, "rb") as handle:
            body = handle.read(req.max_bytes + 1)
    except FileNotFoundError:
        raise FetchError(f"points to a file that does not exist ({path})") from None
    except IsADirectoryError:
        raise FetchError(f"points to a folder, not a file ({path})") from None
    except PermissionError:
        raise FetchError(f"points to a file watchdesk may not read ({path}); check its permissions") from None
    except OSError as exc:
        raise FetchError(f"points to a file that cannot be read ({path}: {exc.strerror})") from None
    if len(body) > req.max_bytes:
        raise FetchError(f"is a file larger than the {_megabytes(req.max_bytes)} allowed")
    return FetchResult(req.key, "ok", body=body, last_modified=modified, final_url=req.url)


async def _fetch_http(client: httpx.AsyncClient, req: FetchRequest) -> FetchResult:
    url = req.url
    for hop in range(MAX_REDIRECTS + 1):
        headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
        if hop == 0:
            if req.etag:
                headers["If-None-Match"] = req.etag
            if req.last_modified:
                headers["If-Modified-Since"] = req.last_modified
        try:
            request = client.build_request("GET", url, headers=headers, timeout=httpx.Timeout(req.timeout))
            response = await client.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise FetchError(error_sentence(exc, req, url), tls=is_tls_failure(exc)) from None
        try:
            if response.status_code in (301, 302, 303, 307, 308):
                location = response.headers.get("location", "")
                if not location:
                    raise FetchError(f"answered a redirect ({response.status_code}) without saying where to")
                target = urljoin(url, location.strip())
                if req.stop_off_host and host_port(target)[0] != host_port(req.url)[0]:
                    return FetchResult(req.key, "redirected", final_url=target, http_status=response.status_code)
                why = await redirect_refusal(url, target, req.url)
                if why:
                    shown = target if len(target) <= 120 else target[:117] + "..."
                    raise FetchError(f"redirected to {shown}, which watchdesk refuses to follow: {why}")
                url = target
                continue
            if response.status_code == 304:
                return FetchResult(req.key, "not-modified", etag=req.etag, last_modified=req.last_modified,
                                   final_url=url, http_status=304)
            if response.status_code >= 300:
                raise FetchError(status_sentence(response.status_code), response.status_code,
                                 response.headers.get("retry-after", ""))
            try:
                body = await _read_body(response, req.max_bytes)
            except httpx.HTTPError as exc:
                raise FetchError(error_sentence(exc, req, url)) from None
            return FetchResult(
                req.key, "ok", body=body,
                content_type=response.headers.get("content-type", ""),
                etag=response.headers.get("etag", ""),
                last_modified=response.headers.get("last-modified", ""),
                final_url=url, http_status=response.status_code, cert_not_after=_cert_not_after(response),
            )
        finally:
            await response.aclose()
    raise FetchError(f"redirected more than {MAX_REDIRECTS} times")


async def fetch_one(client: httpx.AsyncClient, req: FetchRequest) -> FetchResult:
    """Never raises: failures come back as status 'error' with the sentence."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(req.deadline):
            if urlsplit(req.url).scheme.lower() == "file":
                result = await asyncio.to_thread(_read_file, req)
            else:
                result = await _fetch_http(client, req)
    except FetchError as exc:
        result = FetchResult(req.key, "error", error=str(exc), http_status=exc.http_status, retry_after=exc.retry_after,
                             tls_error=exc.tls)
    except TimeoutError:
        result = FetchResult(req.key, "error", error=f"was cut off after {_seconds(req.deadline)}: the server sends too slowly")
    except (httpx.HTTPError, OSError) as exc:
        result = FetchResult(req.key, "error", error=error_sentence(exc, req, req.url))
    result.elapsed = time.monotonic() - started
    return result


_tls: ssl.SSLContext | None = None
_tls_lock = threading.Lock()


def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one costs ~40 ms, a poll happens every tick."""
    global _tls
    with _tls_lock:
        if _tls is None:
            import certifi

            _tls = ssl.create_default_context(cafile=certifi.where())
        return _tls


def make_client(verify: ssl.SSLContext | None = None) -> httpx.AsyncClient:
    """`verify`: a TLS context of its own (a site's private CA); else the shared verifying one."""
    # trust_env=False: no proxy or .netrc from the environment changes where a feed is fetched from.
    return httpx.AsyncClient(
        verify=verify or _tls_context(),
        timeout=httpx.Timeout(20.0),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
    )


def run_async(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from synchronous code (the engine's worker thread).

    With no loop in this thread: asyncio.run. Inside a running loop (a caller that is itself
    async): in a helper thread with a loop of its own, so we never nest loops.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())  # type: ignore[arg-type]
    box: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(asyncio.run(make()))  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target, name="watchdesk-fetch")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]
