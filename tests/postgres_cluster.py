"""A throwaway PostgreSQL cluster for tests that stop and start the server (a store outage):
initdb and pg_ctl on a free port, in a temporary directory of its own (removed after), never
the shared cluster. As root the commands run as the `postgres` user, who is given the directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.eventually import eventually
from tests.webhook_receiver import free_port

BIN = Path(os.environ.get("TRACKER_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


class PostgresCluster:
    def __init__(self) -> None:
        # Not under pytest's tmp_path: its parents are closed to other users.
        self.root = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
        self.data = self.root / "pgdata"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def available() -> str | None:
        """Why no cluster can be made here, or None."""
        if not (BIN / "initdb").exists():
            return f"no PostgreSQL binaries in {BIN}"
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            return "running as root without runuser"
        return None

    def _run(self, *args: str) -> None:
        command = [str(BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def create(self) -> PostgresCluster:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        return self.start()

    def start(self) -> PostgresCluster:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l", str(self.log), "start")
        eventually(self.reachable, timeout=30, message="the cluster did not start")
        return self

    def stop(self) -> None:
        """Stops the server at once: sessions are ended, connections refused."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def reachable(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=2):
                return True
        except psycopg.Error:
            return False


def throwaway_cluster() -> PostgresCluster:
    """A started cluster; the caller destroys it. Skips (fails under CI) if none can be made."""
    reason = PostgresCluster.available()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires a throwaway PostgreSQL cluster: {reason}")
        pytest.skip(reason)
    return PostgresCluster().create()
