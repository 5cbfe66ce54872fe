"""Moving up: the examples imported beside a running SQLite `tracker serve`, exported, imported
into an empty PostgreSQL store and exported again give the same bytes; a file with bad lines
imports nothing and says which lines are bad."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import EXAMPLES, postgres_url_for
from tests.e2e.process import TrackerProcesses, run_tracker, tracker_env

TOKEN = "e2e-export-token"
EXAMPLE_WAIT = 600.0  # the example file may still be being written by someone else


@pytest.fixture
def examples() -> Path:
    deadline = time.monotonic() + EXAMPLE_WAIT
    while not EXAMPLES.exists() and time.monotonic() < deadline:
        time.sleep(30)
    if not EXAMPLES.exists():
        pytest.fail(f"{EXAMPLES} did not appear within {EXAMPLE_WAIT:.0f} s")
    return EXAMPLES


def test_an_sqlite_export_imported_into_postgres_exports_the_same_bytes(
    tmp_path: Path, trackers: TrackerProcesses, postgres_schema: str, examples: Path
) -> None:
    sqlite_env = tracker_env(tmp_path / "sqlite", TRACKER_API_TOKEN=TOKEN)
    server = trackers.serve(sqlite_env)
    imported = run_tracker("import", str(examples), env=sqlite_env)
    assert imported.returncode == 0, imported.stderr
    example_count = sum(1 for line in examples.read_text().splitlines() if line.strip())
    served = requests.get(f"{server.url}/v1/events?limit=1000", timeout=10).json()["items"]
    assert len(served) == example_count, "the running server does not see the import"

    a = tmp_path / "a.jsonl"
    exported = run_tracker("export", "-o", str(a), env=sqlite_env)
    assert exported.returncode == 0, exported.stderr
    assert len(a.read_text().splitlines()) == example_count

    postgres_env = tracker_env(
        tmp_path / "postgres", TRACKER_DATABASE_URL=postgres_url_for(postgres_schema)
    )
    restored = run_tracker("import", str(a), env=postgres_env)
    assert restored.returncode == 0, restored.stderr
    b = tmp_path / "b.jsonl"
    again = run_tracker("export", "-o", str(b), env=postgres_env)
    assert again.returncode == 0, again.stderr

    assert a.read_bytes(), "the export is empty"
    assert a.read_bytes() == b.read_bytes()
    assert [json.loads(line)["id"] for line in a.read_text().splitlines()] == [
        event["id"] for event in served
    ]


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_file_with_bad_lines_exits_1_names_them_and_imports_nothing(
    tmp_path: Path, examples: Path, store: str, request: pytest.FixtureRequest
) -> None:
    settings = {}
    if store == "postgres":
        schema = request.getfixturevalue("postgres_schema")
        settings["TRACKER_DATABASE_URL"] = postgres_url_for(schema)
    env = tracker_env(tmp_path / "data", **settings)
    good = [line for line in examples.read_text().splitlines() if line.strip()]
    unknown_country = json.loads(good[2])
    unknown_country["parties"] = ["JPN", "ZZZ"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        "\n".join([good[0], '{"type": "meeting.held",', json.dumps(unknown_country), good[3]])
        + "\n"
    )

    result = run_tracker("import", str(bad), env=env)

    assert result.returncode == 1, result.stderr
    assert "line 2" in result.stderr, result.stderr
    assert "line 3" in result.stderr and "ZZZ" in result.stderr, result.stderr
    assert "line 1:" not in result.stderr and "line 4:" not in result.stderr, result.stderr
    exported = run_tracker("export", env=env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == ""
