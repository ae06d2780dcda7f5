"""Our own networks (`[watch] networks`) and the fast question "is this address ours?".

A botnet list holds up to a million rows, checked against up to a few thousand networks. Each
family's networks become integer ranges, flattened so that they never overlap (CIDR blocks are
nested or apart, so the most specific block wins inside a larger one), and each address is one
`bisect` on the sorted starts: O(log n) per row, never a loop over the networks.
Addresses are read with `socket.inet_pton` (C, strict: no leading zeros, no short forms such
as '10.1'), several times faster than `ipaddress.ip_address` per row; `ipaddress` is used only
for the few addresses that match and for the config.
"""

from __future__ import annotations

import ipaddress
import socket
from bisect import bisect_right
from dataclasses import dataclass
from watchdesk.i18n import _

_V4_MAPPED = (0xFFFF << 32, (0xFFFF << 32) | 0xFFFFFFFF)


@dataclass(frozen=True)
class Network:
    """One of our networks: its CIDR text (normalised) and the name the unit gave it ('' none)."""

    cidr: str
    name: str = ""

    @property
    def label(self) -> str:
        return f"{self.cidr} ({self.name})" if self.name else self.cidr


def parse_network(text: str) -> str:
    """The CIDR in normal form ('2001:DB8::/32' -> '2001:db8::/32'; an address alone is /32 or /128),
    else ValueError whose message is the tail of a sentence ('must be …')."""
    value = text.strip()
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(_("must be a network like '203.0.113.0/24' or '2001:db8:10::/48' ({exc})").format(exc=exc)) from None
        raise ValueError(_("has host bits set; write the network as '{loose}'").format(loose=loose)) from None
    return str(net)


def _range(cidr: str) -> tuple[int, int, int]:
    net = ipaddress.ip_network(cidr)
    return net.version, int(net.network_address), int(net.broadcast_address)


def _flatten(ranges: list[tuple[int, int, Network]]) -> tuple[list[int], list[int], list[Network]]:
    """Sorted, non-overlapping (start, end, network): inside a larger block the nested one wins."""
    ranges.sort(key=lambda r: (r[0], -r[1]))
    starts: list[int] = []
    ends: list[int] = []
    owners: list[Network] = []

    def emit(lo: int, hi: int, net: Network) -> None:
        if lo <= hi:
            starts.append(lo)
            ends.append(hi)
            owners.append(net)

    stack: list[tuple[int, int, Network]] = []
    pos = 0
    for start, end, net in ranges:
        while stack and stack[-1][1] < start:
            _s, top_end, top = stack.pop()
            emit(pos, top_end, top)
            pos = max(pos, top_end + 1)
        if stack:
            emit(pos, start - 1, stack[-1][2])
        stack.append((start, end, net))
        pos = start
    while stack:
        _s, top_end, top = stack.pop()
        emit(pos, top_end, top)
        pos = max(pos, top_end + 1)
    return starts, ends, owners


class NetworkIndex:
    """Answers `lookup(address text)` with (the address as an int, its family, our network or None)."""

    def __init__(self, networks: tuple[Network, ...] | list[Network]) -> None:
        self.networks = tuple(networks)
        by_family: dict[int, list[tuple[int, int, Network]]] = {4: [], 6: []}
        for net in self.networks:
            version, start, end = _range(net.cidr)
            by_family[version].append((start, end, net))
        self._v4 = _flatten(by_family[4])
        self._v6 = _flatten(by_family[6])

    @property
    def v4(self) -> tuple[list[int], list[int], list[Network]]:
        """IPv4's (starts, ends, owners), for a caller's inlined lookup in a hot loop."""
        return self._v4

    def __bool__(self) -> bool:
        return bool(self.networks)

    @staticmethod
    def address(text: str) -> tuple[int, int] | None:
        """(family 4 or 6, the address as an int), or None when `text` is not one address.
        An IPv4-mapped IPv6 address (::ffff:203.0.113.5) is read as the IPv4 address it carries."""
        try:
            return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
        except OSError:
            pass
        if ":" not in text:
            return None
        try:
            value = int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
        except OSError:
            return None
        if _V4_MAPPED[0] <= value <= _V4_MAPPED[1]:
            return 4, value & 0xFFFFFFFF
        return 6, value

    def owner(self, family: int, value: int) -> Network | None:
        starts, ends, owners = self._v4 if family == 4 else self._v6
        i = bisect_right(starts, value) - 1
        if i >= 0 and value <= ends[i]:
            return owners[i]
        return None


def address_text(family: int, value: int) -> str:
    """The address in its normal written form (IPv6 compressed, lower case)."""
    return str(ipaddress.IPv4Address(value) if family == 4 else ipaddress.IPv6Address(value))
