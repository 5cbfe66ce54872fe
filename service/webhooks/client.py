"""The hardened HTTP client: connects to the vetted address (TLS still checks the host name),
never follows redirects, keeps connections alive per endpoint, reads at most 1 KiB back."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import urllib3

from service.webhooks.endpoints import VettedEndpoint

RESPONSE_EXCERPT = 1024


@dataclass(frozen=True)
class Response:
    status: int | None
    seconds: float
    excerpt: str
    retry_after: str | None
    error: str | None


class WebhookClient:
    def __init__(self, timeout: float, connections_per_endpoint: int = 16) -> None:
        self.timeout = urllib3.Timeout(connect=min(timeout, 10.0), read=timeout)
        # As many kept-alive connections per endpoint as the dispatcher sends at once: many
        # subscriptions may share one receiver, and a smaller pool would close (and log) a
        # connection after nearly every delivery.
        self.connections_per_endpoint = connections_per_endpoint
        self._pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def post(self, endpoint: VettedEndpoint, body: bytes, headers: dict[str, str]) -> Response:
        started = time.perf_counter()
        try:
            response = self._pool(endpoint).urlopen(
                "POST",
                endpoint.path,
                body=body,
                headers={
                    **headers,
                    "Host": host_header(endpoint),
                    "User-Agent": "tracker-webhooks",
                },
                redirect=False,
                retries=False,
                timeout=self.timeout,
                preload_content=False,
            )
            excerpt = response.read(RESPONSE_EXCERPT, decode_content=True)
            response.drain_conn()
            response.release_conn()
            return Response(
                response.status,
                time.perf_counter() - started,
                excerpt.decode("utf-8", "replace"),
                response.headers.get("Retry-After"),
                None,
            )
        except urllib3.exceptions.HTTPError as error:
            return Response(
                None,
                time.perf_counter() - started,
                "",
                None,
                f"{type(error).__name__}: {error}"[:500],
            )

    def _pool(self, endpoint: VettedEndpoint) -> urllib3.HTTPConnectionPool:
        key = (endpoint.scheme, endpoint.address, endpoint.port, endpoint.host)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                if endpoint.scheme == "https":
                    pool = urllib3.HTTPSConnectionPool(
                        endpoint.address,
                        endpoint.port,
                        maxsize=self.connections_per_endpoint,
                        block=False,
                        server_hostname=endpoint.host,
                        assert_hostname=endpoint.host,
                    )
                else:
                    pool = urllib3.HTTPConnectionPool(
                        endpoint.address,
                        endpoint.port,
                        maxsize=self.connections_per_endpoint,
                        block=False,
                    )
                self._pools[key] = pool
            return pool

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()


def host_header(endpoint: VettedEndpoint) -> str:
    default = 443 if endpoint.scheme == "https" else 80
    return endpoint.host if endpoint.port == default else f"{endpoint.host}:{endpoint.port}"
