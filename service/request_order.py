"""The order in which `tracker serve`'s threads take requests: writes first, reads capped.

waitress hands requests to its threads in arrival order, so forty clients looping on reads
keep every thread busy and an append waits behind all of them, then shares the interpreter
with them. Here writes (and the health and metrics routes) are taken before any waiting
read, and at most `read_slots` reads run at once: the rest of the threads stay free for
writes, and an append competes with a few reads for the interpreter, not with sixteen.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from waitress.task import ThreadedTaskDispatcher

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FIRST_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class WritesFirst(ThreadedTaskDispatcher):
    """waitress's thread pool with two lanes: writes, taken first, and reads, of which at
    most `read_slots` run at once."""

    def __init__(self, threads: int, read_slots: int) -> None:
        super().__init__()
        self.reads: deque[Any] = deque()
        self.read_slots = max(1, read_slots)
        self.reads_running = 0
        self.set_thread_count(threads)

    def add_task(self, task: Any) -> None:
        with self.lock:
            (self.reads if is_read(task) else self.queue).append(task)
            self.queue_cv.notify()

    def handler_thread(self, thread_no: int) -> None:
        while True:
            with self.lock:
                while not self._ready() and self.stop_count == 0:
                    self.active_count -= 1  # idle while waiting, as waitress counts it
                    self.queue_cv.wait()
                    self.active_count += 1
                if self.stop_count > 0:
                    self.active_count -= 1
                    self.stop_count -= 1
                    self.threads.discard(thread_no)
                    self.thread_exit_cv.notify()
                    return
                reading = not self.queue
                task = self.reads.popleft() if reading else self.queue.popleft()
                self.reads_running += reading
            try:
                task.service()
            except BaseException:
                self.logger.exception("Exception when servicing %r", task)
            finally:
                if reading:
                    with self.lock:
                        self.reads_running -= 1
                        self.queue_cv.notify()  # a read waiting for a slot may go now

    def shutdown(self, cancel_pending: bool = True, timeout: int = 5) -> bool:
        with self.lock:
            self.queue.extend(self.reads)  # cancelled with the rest
            self.reads.clear()
        return bool(super().shutdown(cancel_pending, timeout))

    def _ready(self) -> bool:
        return bool(self.queue) or (bool(self.reads) and self.reads_running < self.read_slots)


def is_read(task: Any) -> bool:
    """A channel's next request reads (GET, HEAD, OPTIONS) and is not a health or metrics
    route; anything else, refusals included, goes first."""
    requests = getattr(task, "requests", None)
    if not requests:
        return False
    request = requests[0]
    if getattr(request, "error", None) is not None:
        return False
    return request.command in READ_METHODS and request.path not in FIRST_PATHS
