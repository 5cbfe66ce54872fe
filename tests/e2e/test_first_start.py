"""The first start of `tracker serve` with no token configured makes an admin token, keeps it
in the data dir (mode 0600) and prints it once; tokens have scopes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.e2e.processes import Tracker
from tests.factories import development


def start_without_token(data_dir: Path) -> Tracker:
    tracker = Tracker(data_dir, "serve")
    tracker.env.pop("TRACKER_API_TOKEN")
    return tracker.start()


def output(tracker: Tracker) -> str:
    return "".join(p.read_text() for p in tracker.data_dir.glob("serve-*.log"))


def test_the_first_start_prints_an_admin_token_once_and_keeps_it_private(tmp_path: Path):
    first = start_without_token(tmp_path)
    try:
        token_file = tmp_path / "admin-token"
        token = token_file.read_text().strip()
        assert token.startswith("trk_")
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        time.sleep(0.2)
        assert output(first).count(token) == 1
        body = development("meeting.held")
        anonymous = requests.post(f"{first.url}/v1/events", json=body, timeout=5)
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        assert anonymous.headers["Content-Type"] == "application/problem+json"
        admin = {"Authorization": f"Bearer {token}"}
        assert (
            requests.post(f"{first.url}/v1/events", json=body, headers=admin, timeout=5).status_code
            == 201
        )
    finally:
        first.stop()
    second = start_without_token(tmp_path)
    try:
        time.sleep(0.2)
        assert output(second).count("First start") == 1  # from the first run only
        assert token_file.read_text().strip() == token
    finally:
        second.stop()


def test_a_read_token_reads_but_cannot_write(tmp_path: Path):
    env = {**os.environ, "TRACKER_DATA_DIR": str(tmp_path)}
    created = subprocess.run(
        [sys.executable, "-m", "service.cli", "token", "create", "--scope", "read"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    reader = created.stdout.strip()
    assert reader.startswith("trk_")
    server = Tracker(tmp_path, "serve", env={"TRACKER_REQUIRE_READ_TOKEN": "true"}).start()
    try:
        auth = {"Authorization": f"Bearer {reader}"}
        assert requests.get(f"{server.url}/v1/events", timeout=5).status_code == 401
        assert requests.get(f"{server.url}/v1/events", headers=auth, timeout=5).status_code == 200
        denied = requests.post(
            f"{server.url}/v1/events", json=development("meeting.held"), headers=auth, timeout=5
        )
        assert denied.status_code == 403
    finally:
        server.stop()
