"""Endpoint safety: http(s) only, and every address the host resolves to must be public
unless it lies in an allowed network. Checked on subscribe and before every attempt; the
request then goes to the address that was checked (no second lookup to be tricked by).

Public means more than Python's `is_global`: multicast and site-local addresses are refused,
and an IPv6 address that carries an IPv4 one (mapped, IPv4-compatible, NAT64, 6to4, Teredo)
is public only if the IPv4 address is too, since a gateway on the way delivers to that address.
The vetted endpoint carries its host and request target in ASCII (IDNA, percent-encoding), so
the HTTP client never has anything else to write on its request line, in `Host` or for SNI."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use only
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated; :: and ::1 are not global anyway

# RFC 3986: what a path may hold as it is (unreserved, sub-delims, ":", "@", "/"); a query also
# "?". Anything else is percent-encoded as UTF-8, except a "%" that already starts an escape.
_PATH_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/"
)
_QUERY_SAFE = _PATH_SAFE | {"?"}
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


class UnsafeEndpoint(ValueError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class VettedEndpoint:
    scheme: str
    host: str  # ASCII: IDNA-encoded; an IPv6 literal without brackets
    port: int
    path: str  # the request target, ASCII: the path and query, percent-encoded
    address: str


def networks(cidrs: Sequence[str]) -> list[Network]:
    return [ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip()]


def vet(url: str, allowed: Sequence[Network]) -> VettedEndpoint:
    try:
        # urlsplit checks a bracketed host ("http://[::1", "http://[abc]/") and `port` its
        # number, both by raising ValueError: a URL that is not one is refused like any other.
        parts = urlsplit(url)
        hostname, explicit_port = parts.hostname, parts.port
    except ValueError as error:
        raise UnsafeEndpoint(f"Not a valid URL: {error}.") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeEndpoint("Only http and https URLs can receive webhooks.")
    if not hostname:
        raise UnsafeEndpoint("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeEndpoint("Credentials in the URL are not accepted; use the signature.")
    host = _ascii_host(hostname)
    port = explicit_port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError) as error:
        raise UnsafeEndpoint(f"The host '{host}' does not resolve: {error}.") from None
    addresses = sorted({str(info[4][0]) for info in found})
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not (any(ip in network for network in allowed) or is_public(ip)):
            raise UnsafeEndpoint(
                f"'{host}' resolves to {address}, which is not a public address "
                "(allow its network with TRACKER_WEBHOOK_ALLOWED_NETWORKS)."
            )
    target = _encoded(parts.path or "/", _PATH_SAFE)
    if parts.query:
        target += "?" + _encoded(parts.query, _QUERY_SAFE)
    return VettedEndpoint(parts.scheme, host, port, target, addresses[0])


def is_public(ip: Address) -> bool:
    """Global, neither multicast nor site-local, and so is every IPv4 address it carries."""
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return True
    if ip.is_site_local or ip in LOCAL_NAT64:
        return False
    return all(is_public(inner) for inner in embedded_ipv4(ip))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, by the kinds that carry one."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in IPV4_COMPATIBLE or ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)  # the Teredo server, and the client behind its NAT
    return found


def _ascii_host(hostname: str) -> str:
    """The host as it goes on the wire: IDNA for a name that is not ASCII."""
    if hostname.isascii():
        return hostname
    try:
        return hostname.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise UnsafeEndpoint(f"The host '{hostname}' is not a valid name: {error}.") from None


def _encoded(text: str, safe: frozenset[str]) -> str:
    """Percent-encodes what `safe` does not hold, keeping escapes already there."""
    out: list[str] = []
    for index, char in enumerate(text):
        if char in safe or (char == "%" and _ESCAPE.match(text, index)):
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
    return "".join(out)
