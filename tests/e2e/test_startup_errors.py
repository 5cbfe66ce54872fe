"""A start that cannot go on says why in one line, `tracker: <what> (<setting>)`, and exits
non-zero (2: a setting or argument to change; 1: the world, such as a busy port or an
unreachable store): no traceback, nothing left running. Each runs the real `tracker`."""

from __future__ import annotations

import socket
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import POSTGRES_URL, require_postgres
from tests.e2e.process import TrackerProcesses, run_tracker, tracker_env


def said_in_one_line(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tracker: "), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def test_startup_failure_busy_port_is_one_line_naming_the_port_setting(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run_tracker("serve", env=tracker_env(tmp_path / "data", TRACKER_PORT=port))
    said_in_one_line(result, 1, port, "in use", "TRACKER_PORT")


def test_startup_failure_unreachable_postgresql_is_one_line_naming_the_database_url(
    tmp_path: Path,
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"postgresql://postgres:secret-pw@127.0.0.1:{port}/tracker"
    result = run_tracker("serve", env=tracker_env(tmp_path / "data", TRACKER_DATABASE_URL=url))
    line = said_in_one_line(result, 1, f"127.0.0.1:{port}", "refused", "TRACKER_DATABASE_URL")
    assert "secret-pw" not in line


def test_startup_failure_missing_database_is_one_line_saying_to_create_it(tmp_path: Path) -> None:
    require_postgres()
    parts = urlsplit(POSTGRES_URL)
    missing = f"nodb_{uuid.uuid4().hex[:8]}"
    url = parts._replace(path=f"/{missing}", query="").geturl()
    for command in (("serve",), ("export",), ("token", "create", "--scope", "read")):
        result = run_tracker(*command, env=tracker_env(tmp_path / "data", TRACKER_DATABASE_URL=url))
        said_in_one_line(result, 1, missing, "does not exist", "TRACKER_DATABASE_URL")


def test_startup_failure_bad_database_url_scheme_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = tracker_env(tmp_path / "data", TRACKER_DATABASE_URL="mysql://root@localhost/tracker")
    for command in (("serve",), ("import", "-"), ("rebuild",)):
        result = run_tracker(*command, env=env, stdin="")
        said_in_one_line(result, 2, "TRACKER_DATABASE_URL", "mysql://")


def test_startup_failure_missing_import_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_tracker("import", str(tmp_path / "nowhere.jsonl"), env=tracker_env(tmp_path))
    said_in_one_line(result, 2, "nowhere.jsonl", "No such file", "tracker import")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRACKER_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/33"),
        ("TRACKER_WEBHOOK_ALLOWED_NETWORKS", '["10.0.0.0/8"'),
        ("TRACKER_RETRY_SCHEDULE", "5s,soon"),
        ("TRACKER_PORT", "99999"),
        ("TRACKER_THREADS", "many"),
    ],
)
def test_startup_failure_bad_setting_is_one_line_naming_it(
    tmp_path: Path, name: str, value: str
) -> None:
    result = run_tracker("serve", env=tracker_env(tmp_path / "data", **{name: value}))
    said_in_one_line(result, 2, name)


def test_webhook_allowed_networks_as_a_json_list_starts_the_service(
    tmp_path: Path, trackers: TrackerProcesses
) -> None:
    env = tracker_env(
        tmp_path / "data", TRACKER_WEBHOOK_ALLOWED_NETWORKS='["10.0.0.0/8", "fd00::/8"]'
    )
    server = trackers.serve(env)
    assert server.running
    assert "Traceback" not in server.stderr()
