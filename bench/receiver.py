"""A fast local webhook receiver for the benchmarks: its own process (so it never competes with
the load generator for one interpreter), asyncio, HTTP/1.1 keep-alive, answering 200 at once.

It keeps what it got in memory: `GET /count` says how many, and on SIGTERM it writes them all
(arrival time on the machine's monotonic clock, which `time.perf_counter()` reads in every
process, the headers and the body) as JSON lines to the file named on its command line."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.webhook_receiver import free_port

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


@dataclass(frozen=True)
class Receipt:
    headers: dict[str, str]
    body: str
    at: float


class FastReceiver:
    """Starts the receiver process; `count()` while it runs, `receipts()` once stopped."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._file = folder / f"receipts-{self.port}.jsonl"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.receiver", str(self.port), str(self._file)]
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        for _ in range(200):
            try:
                self.count()
                return
            except OSError:
                time.sleep(0.05)
        self._process.kill()
        raise RuntimeError("the benchmark receiver did not start")

    def count(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/count", timeout=5) as answer:
            return int(answer.read())

    def wait_for(self, expected: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.count() < expected and time.monotonic() < deadline:
            time.sleep(0.02)

    def receipts(self) -> list[Receipt]:
        """Stops the receiver and returns what it got, in order of arrival."""
        if self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=30)
        lines = self._file.read_text().splitlines() if self._file.exists() else []
        return [Receipt(**json.loads(line)) for line in lines]

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


async def _serve(port: int, received: list[dict[str, Any]]) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                at = time.perf_counter()
                request_line, *lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines:
                    if ":" in line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if request_line.startswith("GET /count"):
                    text = str(len(received)).encode()
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text)
                    )
                else:
                    received.append({"headers": headers, "body": body.decode(), "at": at})
                    writer.write(OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError):
            pass  # the sender closed the connection, or the receiver is stopping
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    port, file = int(sys.argv[1]), Path(sys.argv[2])
    received: list[dict[str, Any]] = []
    asyncio.run(_serve(port, received))
    file.write_text("".join(json.dumps(r) + "\n" for r in received))


if __name__ == "__main__":
    main()
