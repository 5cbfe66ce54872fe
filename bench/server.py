"""A real `tracker serve` process of the benchmark's own, on an empty store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.webhook_receiver import free_port

TOKEN = "bench-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def tracker_serve(folder: Path, database_url: str, *args: str) -> Iterator[Server]:
    server = Server(folder, database_url, *args)
    try:
        yield server
    finally:
        server.stop()


class Server:
    def __init__(self, folder: Path, database_url: str, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "TRACKER_DATA_DIR": str(folder),
            "TRACKER_API_TOKEN": TOKEN,
            "TRACKER_PORT": str(self.port),
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        for _ in range(300):
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("tracker serve did not start")

    def resident_mb(self) -> float:
        """Resident memory of the server process, from /proc."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
