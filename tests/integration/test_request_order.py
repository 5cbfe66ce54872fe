"""`tracker serve`'s threads take writes before waiting reads and run a bounded number of
reads at once, so a flood of reads cannot hold every thread a write needs."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests
from waitress.server import create_server

from service.request_order import WritesFirst, is_read

SLOW_READ = 0.6


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["PATH_INFO"] == "/slow":
        time.sleep(SLOW_READ)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


@contextlib.contextmanager
def server(threads: int, read_slots: int) -> Iterator[str]:
    dispatcher = WritesFirst(threads, read_slots)
    built = create_server(app, host="127.0.0.1", port=0, _dispatcher=dispatcher)
    thread = threading.Thread(target=built.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{built.effective_port}"  # type: ignore[union-attr]
    finally:
        built.close()
        dispatcher.shutdown()


def test_a_write_is_served_while_reads_beyond_the_read_slots_wait() -> None:
    with server(threads=4, read_slots=1) as url:
        done: list[float] = []
        started = time.monotonic()

        def read() -> None:
            requests.get(f"{url}/slow", timeout=10)
            done.append(time.monotonic() - started)

        readers = [threading.Thread(target=read) for _ in range(3)]
        for reader in readers:
            reader.start()
        time.sleep(0.1)  # the first read runs; the other two wait for the one read slot
        write_started = time.monotonic()
        assert requests.post(f"{url}/write", data=b"x", timeout=10).status_code == 200
        write_took = time.monotonic() - write_started
        for reader in readers:
            reader.join(10)
    assert write_took < SLOW_READ / 2, f"the write waited {write_took:.2f} s behind reads"
    # one read slot: the three slow reads ran one after another, not at once
    assert sorted(done)[-1] >= 3 * SLOW_READ * 0.9, done


def test_health_and_refusals_go_with_the_writes_and_reads_are_gets() -> None:
    class Request:
        def __init__(self, command: str, path: str, error: object = None) -> None:
            self.command, self.path, self.error = command, path, error

    class Channel:
        def __init__(self, request: Request) -> None:
            self.requests = [request]

    assert is_read(Channel(Request("GET", "/v1/relationships/AU-JP")))
    assert is_read(Channel(Request("HEAD", "/v1/events")))
    assert not is_read(Channel(Request("POST", "/v1/events")))
    assert not is_read(Channel(Request("GET", "/healthz")))
    assert not is_read(Channel(Request("GET", "/v1/events", error=ValueError("bad"))))
