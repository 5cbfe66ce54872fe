"""A real `tracker serve` process of the benchmark's own (the end-to-end tests' process
helper), its output kept beside its data dir; and the same API on another WSGI server
(`service.wsgi:build`), for the append benchmark's comparison."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.process import TrackerProcess, bearer, tracker_env

TOKEN = "bench-token"
AUTH = bearer(TOKEN)
THREADS = 16  # tracker serve's default, for the other servers too
BIN = Path(sys.executable).parent


@contextmanager
def tracker_serve(folder: Path, database_url: str, *args: str) -> Iterator[TrackerProcess]:
    server = TrackerProcess(_env(folder, database_url), _logs(folder), "serve", *args)
    with _running(server):
        yield server


class WsgiServer(TrackerProcess):
    """`service.wsgi:build` on granian (its WSGI interface) or gunicorn (gthread), one
    process of THREADS threads, like `tracker serve --api-only`."""

    @property
    def command(self) -> list[str]:
        name = self.args[0]
        if name == "granian":
            return [
                str(BIN / "granian"),
                "--interface=wsgi",
                "--factory",
                "--host=127.0.0.1",
                f"--port={self.port}",
                "--workers=1",
                f"--blocking-threads={THREADS}",
                "--no-access-log",
                "service.wsgi:build",
            ]
        if name == "gunicorn":
            return [
                str(BIN / "gunicorn"),
                "--worker-class=gthread",
                f"--threads={THREADS}",
                "--workers=1",
                f"--bind=127.0.0.1:{self.port}",
                "service.wsgi:build()",
            ]
        raise ValueError(f"no server {name!r}: granian or gunicorn")


@contextmanager
def wsgi_serve(folder: Path, database_url: str, name: str) -> Iterator[TrackerProcess]:
    """The API alone on `name` ("granian", "gunicorn"), or on `tracker serve --api-only`
    ("waitress")."""
    if name == "waitress":
        with tracker_serve(folder, database_url, "--api-only") as served:
            yield served
        return
    server = WsgiServer(_env(folder, database_url), _logs(folder), name)
    with _running(server):
        yield server


def _env(folder: Path, database_url: str) -> dict[str, str]:
    return tracker_env(
        folder,
        TRACKER_API_TOKEN=TOKEN,
        TRACKER_DATABASE_URL=database_url,
        TRACKER_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
    )


def _logs(folder: Path) -> Path:
    return folder.with_name(f"{folder.name}-logs")


@contextmanager
def _running(server: TrackerProcess) -> Iterator[None]:
    server.start()
    try:
        yield
    finally:
        server.stop(timeout=15)


def resident_mb(server: TrackerProcess) -> float:
    """Resident memory of the server process, from /proc."""
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
