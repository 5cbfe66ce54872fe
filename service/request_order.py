"""The order in which `tracker serve`'s threads take requests: writes first, reads capped.

waitress hands requests to its threads in arrival order, so forty clients looping on reads
keep every thread busy and an append waits behind all of them, then shares the interpreter
with them. Here writes (and the health and metrics routes) are taken before any waiting
read, and at most `read_slots` reads run at once: the rest of the threads stay free for
writes, and an append competes with a few reads for the interpreter, not with sixteen.

Live streams (`GET /v1/stream`) hold a thread for as long as they stay open, so they have a
lane of their own: threads started as streams arrive, up to `stream_threads`, never one of
those serving requests. A stream's connection sends each write at once (waitress otherwise
keeps small writes until 18 kB gather or its loop next wakes, up to a second later).
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from typing import Any

from waitress.task import ThreadedTaskDispatcher

from service.streams.connection import serving

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FIRST_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
STREAM_PATHS = frozenset({"/v1/stream"})


class WritesFirst(ThreadedTaskDispatcher):
    """waitress's thread pool with two lanes: writes, taken first, and reads, of which at
    most `read_slots` run at once."""

    def __init__(self, threads: int, read_slots: int, stream_threads: int = 0) -> None:
        super().__init__()
        self.streams = StreamLane(stream_threads, self.logger)
        self.reads: deque[Any] = deque()
        self.read_slots = max(1, read_slots)
        self.reads_running = 0
        self.set_thread_count(threads)

    def add_task(self, task: Any) -> None:
        if self.streams.limit and is_stream(task):
            self.streams.add(task)
            return
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
        self.streams.shutdown(timeout)
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


def is_stream(task: Any) -> bool:
    """A channel's next request is a GET of a live stream."""
    requests = getattr(task, "requests", None)
    if not requests or getattr(requests[0], "error", None) is not None:
        return False
    return requests[0].command == "GET" and requests[0].path in STREAM_PATHS


class StreamLane:
    """Threads for open streams alone, started as they are needed, up to `limit`; a stream
    past them waits for one to end (the app refuses streams past its cap at once, so with a
    few threads more than the cap, a refusal never waits)."""

    def __init__(self, limit: int, logger: Any) -> None:
        self.limit = limit
        self.logger = logger
        self.tasks: deque[Any] = deque()
        self.threads: list[threading.Thread] = []
        self.idle = 0
        self.stopping = False
        self._cv = threading.Condition()

    def add(self, task: Any) -> None:
        with self._cv:
            self.tasks.append(task)
            if self.idle < len(self.tasks) and len(self.threads) < self.limit:
                thread = threading.Thread(
                    target=self._serve, name=f"stream-{len(self.threads)}", daemon=True
                )
                self.threads.append(thread)
                thread.start()
            self._cv.notify()

    def shutdown(self, timeout: float) -> None:
        with self._cv:
            self.stopping = True
            self._cv.notify_all()
            threads = list(self.threads)
        for thread in threads:
            thread.join(timeout)

    def _serve(self) -> None:
        while True:
            with self._cv:
                self.idle += 1
                while not self.tasks and not self.stopping:
                    self._cv.wait()
                self.idle -= 1
                if self.stopping:
                    return
                task = self.tasks.popleft()
            send_at_once(task)
            try:
                with serving(task):
                    task.service()
            except BaseException:
                self.logger.exception("Exception when servicing %r", task)


def send_at_once(channel: Any) -> None:
    """Each write on this connection is sent as it is made: waitress sends at once only past
    `send_bytes`, a setting of its own copy of the server's adjustments."""
    adjustments = copy.copy(channel.adj)
    adjustments.send_bytes = 1
    channel.adj = adjustments
