"""Endpoint safety: http(s) only; every resolved address public unless allowed."""

from __future__ import annotations

import pytest

from service.webhooks.endpoint import UnsafeEndpoint, networks, vet

# "localhost" in full-width letters: IDNA's mapping makes them the loopback name.
FULL_WIDTH_LOCALHOST = "".join(chr(ord(c) + 0xFEE0) for c in "localhost")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/x", "Only http and https"),
        ("http:///nohost", "no host"),
        ("http://169.254.169.254/latest/meta-data", "not a public address"),
        ("http://10.0.0.1/", "not a public address"),
        ("http://192.168.1.5/", "not a public address"),
        ("http://localhost/hook", "not a public address"),
        ("http://127.0.0.1:8000/hook", "not a public address"),
        ("http://[::1]/hook", "not a public address"),
        ("http://user:secret@127.0.0.1/", "Credentials"),
        ("http://no-such-host.invalid/", "does not resolve"),
    ],
)
def test_unsafe_urls_are_refused_with_the_reason(url: str, reason: str):
    with pytest.raises(UnsafeEndpoint, match=reason):
        vet(url, [])


def test_an_allowed_network_may_receive():
    endpoint = vet("http://127.0.0.1:9000/hook?x=1", networks(["127.0.0.0/8"]))
    assert (endpoint.address, endpoint.port, endpoint.path) == ("127.0.0.1", 9000, "/hook?x=1")


def test_a_public_address_is_accepted_without_a_lookup_of_names():
    endpoint = vet("https://93.184.215.14/hook", [])
    assert (endpoint.scheme, endpoint.port, endpoint.host) == ("https", 443, "93.184.215.14")


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://[abc]/", "http://example.org:99999/", "http://example.org:x/"]
)
def test_subscription_urls_urlsplit_cannot_take_are_refused_not_raised(url: str):
    with pytest.raises(UnsafeEndpoint, match="Not a valid URL"):
        vet(url, [])


@pytest.mark.parametrize(
    "address",
    [
        "::127.0.0.1",  # IPv4-compatible
        "::ffff:127.0.0.1",  # IPv4-mapped
        "64:ff9b::7f00:1",  # NAT64, well-known prefix
        "64:ff9b:1::7f00:1",  # NAT64, local-use prefix
        "2002:7f00:1::",  # 6to4
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2001:0:7f00:1::",  # Teredo, server 127.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
        "fec0::1",  # site-local
        "224.0.0.1",  # multicast
        "ff0e::1",  # global-scope multicast
    ],
)
def test_the_address_check_lets_five_non_public_kinds_through(address: str):
    """Each is global by Python's `is_global` (or wraps an address that is not public): all
    refused, embedded IPv4 addresses unwrapped and checked."""
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeEndpoint, match="not a public address"):
        vet(f"http://{host}/hook", [])


@pytest.mark.parametrize("address", ["2002:5db8:d70e::1", "64:ff9b::5db8:d70e", "2606:4700::1111"])
def test_an_address_wrapping_a_public_ipv4_address_is_public(address: str):
    assert vet(f"https://[{address}]/hook", []).address == address


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("::ffff:127.0.0.1", "::ffff:127.0.0.0/104"),
        ("fec0::1", "fec0::/10"),
        ("224.0.0.1", "224.0.0.0/4"),
    ],
)
def test_an_allowed_network_still_allows_what_is_not_public(address: str, network: str):
    host = f"[{address}]" if ":" in address else address
    assert vet(f"http://{host}/hook", networks([network])).address == address


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://127.0.0.1/€", "/%E2%82%AC"),
        ("http://127.0.0.1/a b/ü?q=ü ü&x=/?", "/a%20b/%C3%BC?q=%C3%BC%20%C3%BC&x=/?"),
        (
            "http://127.0.0.1/already%20encoded%E2%82%AC?q=%C3%BC",
            "/already%20encoded%E2%82%AC?q=%C3%BC",
        ),
        ("http://127.0.0.1/100%", "/100%25"),
        ('http://127.0.0.1/x%zz<>"{}|^`\\', "/x%25zz%3C%3E%22%7B%7D%7C%5E%60%5C"),
        ("http://127.0.0.1", "/"),
        ("http://127.0.0.1/p#fragment", "/p"),
    ],
)
def test_ping_to_a_url_with_a_non_latin_1_character_answers_500(url: str, target: str):
    """The vetted endpoint's request target is ASCII: the path and query percent-encoded as
    UTF-8 per RFC 3986, what is already encoded kept as it is."""
    endpoint = vet(url, networks(["127.0.0.0/8"]))
    assert endpoint.path == target and endpoint.path.isascii()


def test_a_host_name_beyond_ascii_is_looked_up_and_named_in_idna():
    with pytest.raises(UnsafeEndpoint, match=r"'xn--bcher-kva\.invalid' does not resolve"):
        vet("http://bücher.invalid/hook", [])
    endpoint = vet(f"http://{FULL_WIDTH_LOCALHOST}:9000/€", networks(["127.0.0.0/8"]))
    assert (endpoint.host, endpoint.path) == ("localhost", "/%E2%82%AC")
