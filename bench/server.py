"""A real `tracker serve` process of the benchmark's own (the end-to-end tests' process
helper), its output kept beside its data dir."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.process import TrackerProcess, bearer, tracker_env

TOKEN = "bench-token"
AUTH = bearer(TOKEN)


@contextmanager
def tracker_serve(folder: Path, database_url: str, *args: str) -> Iterator[TrackerProcess]:
    env = tracker_env(
        folder,
        TRACKER_API_TOKEN=TOKEN,
        TRACKER_DATABASE_URL=database_url,
        TRACKER_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    server = TrackerProcess(env, folder.with_name(f"{folder.name}-logs"), "serve", *args)
    server.start()
    try:
        yield server
    finally:
        server.stop(timeout=15)


def resident_mb(server: TrackerProcess) -> float:
    """Resident memory of the server process, from /proc."""
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
