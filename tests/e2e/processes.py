"""Real `tracker` processes for end-to-end tests: started with their own settings, waited for,
stopped or killed, their output kept in the data dir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.webhook_receiver import free_port

TOKEN = "e2e-admin-token"


class Tracker:
    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.args = args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "TRACKER_DATA_DIR": str(data_dir),
            "TRACKER_API_TOKEN": TOKEN,
            "TRACKER_PORT": str(self.port),
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / f"{args[0]}-{self.port}.log"

    def start(self, wait_for_http: bool = True) -> Tracker:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *self.args],
            env=self.env,
            stdout=log,
            stderr=log,
            cwd=Path(__file__).resolve().parents[2],
        )
        if wait_for_http:
            self.wait_healthy()
        return self

    def wait_healthy(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, "tracker exited"
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("tracker did not start")

    def wait_for_output(self, text: str, seconds: float = 30) -> None:
        """For processes without HTTP (`tracker worker`): waits until the log says `text`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.alive(), f"tracker exited: {self.log_path.read_text()[-2000:]}"
            if text in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise AssertionError(f"tracker never said {text!r}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}
