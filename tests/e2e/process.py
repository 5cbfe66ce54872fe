"""The real `tracker` command for end-to-end tests: `TrackerProcess` runs `tracker serve` (or
`tracker worker`) with its own data dir, port and environment, waits for /healthz (or for a
line of its output), keeps stdout and stderr in files and stops it (SIGTERM) or kills it
(SIGKILL); `run_tracker` runs a one-shot command."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

import requests

from tests.eventually import eventually
from tests.webhook_receiver import free_port

ROOT = Path(__file__).resolve().parents[2]
TRACKER = ROOT / ".venv" / "bin" / "tracker"
START_TIMEOUT = 30.0
COMMAND_TIMEOUT = 60.0


def tracker_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The caller's environment without any TRACKER_* setting, then this data dir and
    `settings` (e.g. TRACKER_API_TOKEN="...")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return {**env, "TRACKER_DATA_DIR": str(data_dir), **settings}


def run_tracker(
    *args: str, env: Mapping[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """One `tracker` command to completion (import, export, token ...)."""
    return subprocess.run(
        [str(TRACKER), *args],
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
        cwd=ROOT,
    )


class ExitedEarly(Exception):
    """A process ended while a test waited for it. Not an AssertionError, so that `eventually`
    stops waiting at once instead of waiting out its timeout."""


class TrackerProcess:
    """One long-running `tracker` process (`args` start with "serve" or "worker"); start it
    again after stop() or kill() on the same data."""

    def __init__(self, env: Mapping[str, str], log_dir: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "TRACKER_HOST": "127.0.0.1", "TRACKER_PORT": str(self.port)}
        self.args = args
        self.log_dir = log_dir
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        return [str(TRACKER), *self.args]

    @property
    def stdout_path(self) -> Path:
        return self.log_dir / f"{self.args[0]}-{self.port}-{self.starts}.stdout"

    @property
    def stderr_path(self) -> Path:
        return self.log_dir / f"{self.args[0]}-{self.port}-{self.starts}.stderr"

    def stdout(self) -> str:
        """What the latest start printed on stdout."""
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def start(self, wait_for_http: bool = True) -> TrackerProcess:
        assert not self.running, "already running"
        self.starts += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                cwd=ROOT,
            )
        if wait_for_http:
            self.wait_healthy()
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        try:
            eventually(
                self._healthy,
                timeout=timeout,
                interval=0.1,
                message=f"tracker {self.args[0]} did not answer /healthz",
            )
        except AssertionError:
            self.kill()
            raise

    def _healthy(self) -> bool:
        self._still_running()
        try:
            return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def _still_running(self) -> None:
        """Waiting for a process that has ended cannot succeed: fail now, with what it said."""
        if not self.running:
            raise ExitedEarly(f"tracker {self.args[0]} exited early:\n{self.stderr()[-3000:]}")

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout`; the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def wait_for_output(self, text: str, timeout: float = START_TIMEOUT) -> None:
        """For processes without HTTP (`tracker worker`): until this start's output says
        `text`."""

        def said() -> bool:
            if text in self.stderr() or text in self.stdout():
                return True
            self._still_running()
            return False

        try:
            eventually(said, timeout=timeout, interval=0.1, message=f"tracker never said {text!r}")
        except AssertionError as error:
            raise AssertionError(f"{error}:\n{self.stderr()[-3000:]}") from None


class TrackerProcesses:
    """Every process a test starts, so that teardown stops them all, even after a failure."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.started: list[TrackerProcess] = []

    def serve(self, env: Mapping[str, str], *extra_args: str) -> TrackerProcess:
        """A started `tracker serve`, answering /healthz."""
        return self.prepare(env, "serve", *extra_args).start()

    def worker(self, env: Mapping[str, str]) -> TrackerProcess:
        """A started `tracker worker`, following the log."""
        worker = self.prepare(env, "worker").start(wait_for_http=False)
        worker.wait_for_output("following the log")
        return worker

    def prepare(self, env: Mapping[str, str], *args: str) -> TrackerProcess:
        """A process not started yet (a test that starts, kills and restarts it)."""
        process = TrackerProcess(env, self.root / f"logs-{len(self.started)}", *args)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            process.stop(timeout=5)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
