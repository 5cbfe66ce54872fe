"""Endpoint safety: http(s) only, and every address the host resolves to must be public
unless it lies in an allowed network. Checked on subscribe and before every attempt; the
request then goes to the address that was checked (no second lookup to be tricked by)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeEndpoint(ValueError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class VettedEndpoint:
    scheme: str
    host: str
    port: int
    path: str
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
    port = explicit_port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError) as error:
        raise UnsafeEndpoint(f"The host '{hostname}' does not resolve: {error}.") from None
    addresses = sorted({str(info[4][0]) for info in found})
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not (ip.is_global or any(ip in network for network in allowed)):
            raise UnsafeEndpoint(
                f"'{hostname}' resolves to {address}, which is not a public address "
                "(allow its network with TRACKER_WEBHOOK_ALLOWED_NETWORKS)."
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return VettedEndpoint(parts.scheme, hostname, port, path, addresses[0])
