"""A background loop that does batches of work: at once when woken, otherwise every
`poll_seconds`; after a failure it backs off and tries again, so one bad moment (the database
restarting) never stops it for good."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from events.errors import STORE_UNAVAILABLE

log = logging.getLogger(__name__)


class Follower:
    def __init__(
        self,
        name: str,
        step: Callable[[], bool],
        *,
        poll_seconds: float = 1.0,
        may_run: Callable[[], bool] = lambda: True,
    ) -> None:
        """`step` does one batch and says whether more is waiting; `may_run` says whether this
        process may work now (another may hold the lock): if not, it stands by."""
        self.name = name
        self.step = step
        self.poll_seconds = poll_seconds
        self.may_run = may_run
        self.wakeup = threading.Event()
        self.stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        failures = 0
        while not self.stopped.is_set():
            if not self.may_run():
                self.stopped.wait(self.poll_seconds * 5)
                continue
            self.wakeup.clear()
            try:
                more = self.step()
                failures = 0
            except Exception as error:
                failures += 1
                if isinstance(error, STORE_UNAVAILABLE):  # expected now and then
                    log.warning(
                        "%s: the store was not available (%s); trying again", self.name, error
                    )
                else:
                    log.exception("%s: a batch failed; trying again", self.name)
                self.stopped.wait(min(30.0, 0.5 * 2**failures))
                continue
            if not more:
                self.wakeup.wait(self.poll_seconds)
