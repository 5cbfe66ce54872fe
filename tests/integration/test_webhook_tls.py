"""The webhook client over TLS, against a real TLS receiver on loopback with a certificate made
for the test: the connection goes to the vetted address, while SNI, the certificate check and
`Host` use the URL's host name, and a connection checked for one name never carries another's
delivery."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from service.webhooks.attempt import AttemptOutcome
from service.webhooks.client import WebhookClient
from service.webhooks.endpoint import VettedEndpoint
from tests.webhook_receiver import RawReceiver, read_request

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def self_signed(folder: Path, *names: str) -> tuple[Path, Path]:
    """A certificate for these DNS names, signed by its own key: its file is the trust
    anchor the client is given, so only these names verify."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / f"{names[0]}.pem", folder / f"{names[0]}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class TlsReceiver(RawReceiver):
    """Answers 200 to each request on TLS connections; keeps the name each handshake asked
    for (SNI) and each request."""

    def __init__(self, cert_file: Path, key_file: Path) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_file, key_file)
        self.cert_file = cert_file
        self.context.sni_callback = self._note_name
        self.names: list[str | None] = []
        self.requests: list[bytes] = []
        super().__init__()

    def _note_name(self, _: ssl.SSLObject, name: str | None, __: ssl.SSLContext) -> None:
        self.names.append(name)

    def serve(self, connection: socket.socket) -> None:
        try:
            with self.context.wrap_socket(connection, server_side=True) as tls:
                buffered = b""
                while (read := read_request(tls, buffered)) is not None:
                    request, buffered = read
                    self.requests.append(request)
                    tls.sendall(OK)
        except OSError:  # a failed handshake (ssl.SSLError) included: nothing to answer
            return


@pytest.fixture
def tls_receiver(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[..., TlsReceiver]:
    """Starts a TLS receiver with a certificate for these names (closed after the test); its
    `cert_file` is the certificate to trust."""

    def start(*names: str) -> TlsReceiver:
        receiver = TlsReceiver(*self_signed(tmp_path, *names))
        request.addfinalizer(receiver.close)
        return receiver

    return start


def trusting(receiver: TlsReceiver) -> WebhookClient:
    """A client whose only trusted certificate is the receiver's own."""
    tls = ssl.create_default_context(cafile=str(receiver.cert_file))
    return WebhookClient(timeout=5, tls=tls)


def post_to_hosts(client: WebhookClient, port: int, *hosts: str) -> list[AttemptOutcome]:
    """One delivery to each host name in turn, every one at the loopback address."""

    async def run() -> list[AttemptOutcome]:
        try:
            return [
                await client.post(
                    VettedEndpoint("https", host, port, "/hook", "127.0.0.1"), b"{}", {}
                )
                for host in hosts
            ]
        finally:
            client.close()

    return asyncio.run(run())


def test_tls_reaches_the_vetted_address_with_the_url_host_for_sni_host_and_certificate(
    tls_receiver: Callable[..., TlsReceiver],
):
    receiver = tls_receiver("receiver.test")
    answers = post_to_hosts(trusting(receiver), receiver.port, "receiver.test", "receiver.test")
    assert [(a.status, a.excerpt, a.error) for a in answers] == [(200, "ok", None)] * 2
    assert receiver.names == ["receiver.test"] and receiver.connections == 1  # kept alive
    assert all(
        f"\r\nHost: receiver.test:{receiver.port}\r\n".encode() in r for r in receiver.requests
    )


def test_a_certificate_for_another_name_is_a_failed_attempt_that_sends_nothing(
    tls_receiver: Callable[..., TlsReceiver],
):
    receiver = tls_receiver("other.test")
    [answer] = post_to_hosts(trusting(receiver), receiver.port, "receiver.test")
    assert answer.status is None
    assert "CERTIFICATE_VERIFY_FAILED" in (answer.error or ""), answer.error
    assert receiver.requests == []


def test_two_host_names_at_one_address_each_get_a_connection_checked_for_them(
    tls_receiver: Callable[..., TlsReceiver],
):
    receiver = tls_receiver("a.test", "b.test")
    hosts = ("a.test", "b.test", "a.test", "b.test")
    answers = post_to_hosts(trusting(receiver), receiver.port, *hosts)
    assert [a.status for a in answers] == [200] * 4
    assert receiver.names == ["a.test", "b.test"] and receiver.connections == 2
    sent = [r.split(b"\r\n")[1] for r in receiver.requests]
    assert sent == [f"Host: {host}:{receiver.port}".encode() for host in hosts]
