"""Endpoint safety: http(s) only; every resolved address public unless allowed."""

from __future__ import annotations

import pytest

from service.webhooks.endpoint import UnsafeEndpoint, networks, vet


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
