"""Pings, sent on a bounded sender of their own: an event loop on one thread, at most
PING_SLOTS pings in flight and one per subscription, each within a short timeout of its own.

A ping is answered to the request that asked for it, so its request thread waits: for at most
the ping timeout, and only PING_SLOTS request threads wait at all (a ping past those is
refused at once with PingsBusy). Twenty pings to a receiver that never answers then hold four
request threads for five seconds, not all of them for the webhook timeout, and /healthz and
everything else is served meanwhile. The endpoint is vetted on the sender as well (a slow
resolver counts against the same timeout)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable

from service.webhooks.attempt import AttemptOutcome
from service.webhooks.client import WebhookClient
from service.webhooks.endpoint import VettedEndpoint

PING_SLOTS = 4


class PingsBusy(Exception):
    """Pings in flight already fill the sender, or one to this subscription is in flight."""


class Pinger:
    def __init__(self, timeout: float, slots: int = PING_SLOTS) -> None:
        self.timeout = timeout
        self.slots = slots
        self._pinging: set[str] = set()  # subscriptions with a ping in flight
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def ping(
        self,
        subscription_id: str,
        vetted: Callable[[], VettedEndpoint],
        body: bytes,
        headers: dict[str, str],
    ) -> AttemptOutcome:
        """Sends one ping and waits for its outcome (at most the timeout); PingsBusy if the
        sender has no slot for it now, UnsafeEndpoint if the URL fails the checks."""
        loop = self._slot(subscription_id)
        try:
            sent = asyncio.run_coroutine_threadsafe(self._send(vetted, body, headers), loop)
            try:
                return sent.result(timeout=self.timeout + 1)
            except concurrent.futures.TimeoutError:  # the loop was held up: never wait longer
                sent.cancel()
                return AttemptOutcome(None, self.timeout + 1, "", None, "TimeoutError: no answer")
        finally:
            with self._lock:
                self._pinging.discard(subscription_id)

    def close(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)

    def _slot(self, subscription_id: str) -> asyncio.AbstractEventLoop:
        """Takes a slot for a ping to this subscription (starting the sender's loop on the
        first), or says why not."""
        with self._lock:
            if subscription_id in self._pinging:
                raise PingsBusy("A ping to this subscription is in flight already.")
            if len(self._pinging) >= self.slots:
                raise PingsBusy(f"{self.slots} pings are in flight already.")
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="pings", daemon=True).start()
            self._pinging.add(subscription_id)
            return self._loop

    async def _send(
        self, vetted: Callable[[], VettedEndpoint], body: bytes, headers: dict[str, str]
    ) -> AttemptOutcome:
        """Vets, then posts with what is left of the timeout: the whole ping within it."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                endpoint = await asyncio.get_running_loop().run_in_executor(None, vetted)
        except TimeoutError:
            seconds = time.perf_counter() - started
            return AttemptOutcome(None, seconds, "", None, "TimeoutError: the host did not resolve")
        left = max(0.05, self.timeout - (time.perf_counter() - started))
        client = WebhookClient(left, 1)
        try:
            return await client.post(endpoint, body, headers)
        finally:
            client.close()
