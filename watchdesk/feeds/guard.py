"""Where a redirect may lead: http(s) only, never https -> http, never to a private,
loopback, link-local or otherwise non-public address, except the configured URL's own
host and port (a desk may poll a mirror on its LAN; that mirror may not bounce us on to
169.254.169.254 or to another service on the same machine).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = -1
    return host, port


def _public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def _addresses(host: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


async def redirect_refusal(current_url: str, target_url: str, configured_url: str) -> str:
    """'' when the redirect may be followed, else why not (a clause for the officer)."""
    target = urlsplit(target_url)
    scheme = target.scheme.lower()
    if scheme not in ("http", "https"):
        return f"it is not a web address ('{scheme or '?'}:')"
    if urlsplit(current_url).scheme.lower() == "https" and scheme == "http":
        return "it would drop from https to plain http"
    host, port = host_port(target_url)
    if not host or port < 0:
        return "it has no valid host"
    if (host, port) == host_port(configured_url):
        return ""
    try:
        addresses = await _addresses(host, port)
    except OSError:
        return f"its host '{host}' cannot be found"
    private = [a for a in addresses if not _public(a)]
    if private:
        return f"it points to a private, loopback or link-local address ({private[0]})"
    return ""
