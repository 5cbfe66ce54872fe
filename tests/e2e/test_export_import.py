"""Moving up: the examples imported beside a running SQLite `tracker serve`, exported, imported
into an empty PostgreSQL store and exported again give the same bytes; a file with bad lines
imports nothing and says which lines are bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.conftest import EXAMPLES, postgres_url_for
from tests.e2e.process import TrackerProcesses, run_tracker, tracker_env

TOKEN = "e2e-export-token"


def example_count() -> int:
    return sum(1 for line in EXAMPLES.read_text().splitlines() if line.strip())


def test_an_sqlite_export_imported_into_postgres_exports_the_same_bytes(
    tmp_path: Path, trackers: TrackerProcesses, postgres_schema: str
) -> None:
    sqlite_env = tracker_env(tmp_path / "sqlite", TRACKER_API_TOKEN=TOKEN)
    server = trackers.serve(sqlite_env)
    count = example_count()
    imported = run_tracker("import", str(EXAMPLES), env=sqlite_env)
    assert imported.returncode == 0, imported.stderr
    assert f"{count} imported" in imported.stderr, imported.stderr
    served = requests.get(f"{server.url}/v1/events?limit=1000", timeout=10).json()["items"]
    assert len(served) == count, "the running server does not see the import"

    a = tmp_path / "a.jsonl"
    exported = run_tracker("export", "-o", str(a), env=sqlite_env)
    assert exported.returncode == 0, exported.stderr
    assert len(a.read_text().splitlines()) == count

    postgres_env = tracker_env(
        tmp_path / "postgres", TRACKER_DATABASE_URL=postgres_url_for(postgres_schema)
    )
    restored = run_tracker("import", str(a), env=postgres_env)
    assert restored.returncode == 0, restored.stderr
    assert f"{count} imported" in restored.stderr, restored.stderr
    b = tmp_path / "b.jsonl"
    again = run_tracker("export", "-o", str(b), env=postgres_env)
    assert again.returncode == 0, again.stderr

    assert a.read_bytes(), "the export is empty"
    assert a.read_bytes() == b.read_bytes()
    assert [json.loads(line)["id"] for line in a.read_text().splitlines()] == [
        event["id"] for event in served
    ]
    again = run_tracker("import", str(a), env=postgres_env)
    assert again.returncode == 0, again.stderr
    assert f"0 imported, {count} already held" in again.stderr, again.stderr


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_file_with_bad_lines_exits_1_names_them_and_imports_nothing(
    tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    settings = {}
    if store == "postgres":
        schema = request.getfixturevalue("postgres_schema")
        settings["TRACKER_DATABASE_URL"] = postgres_url_for(schema)
    env = tracker_env(tmp_path / "data", **settings)
    good = [line for line in EXAMPLES.read_text().splitlines() if line.strip()]
    unknown_country = json.loads(good[2])
    unknown_country["parties"] = ["JPN", "ZZZ"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        "\n".join([good[0], '{"type": "meeting.held",', json.dumps(unknown_country), good[3]])
        + "\n"
    )

    result = run_tracker("import", str(bad), env=env)

    assert result.returncode == 1, result.stderr
    assert "line 2: not JSON" in result.stderr, result.stderr
    assert "line 3: parties.1:" in result.stderr and "ZZZ" in result.stderr, result.stderr
    assert "line 1:" not in result.stderr and "line 4:" not in result.stderr, result.stderr
    assert "nothing was imported" in result.stderr, result.stderr
    exported = run_tracker("export", env=env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == ""


def example_lines() -> list[dict[str, object]]:
    return [json.loads(line) for line in EXAMPLES.read_text().splitlines() if line.strip()]


def write_lines(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_an_import_into_a_non_empty_store_never_makes_recorded_at_go_back(
    tmp_path: Path,
) -> None:
    env = tracker_env(tmp_path / "data")
    first, second, third = example_lines()[:3]
    recorded = {**first, "recorded_at": "2025-06-01T00:00:00Z"}
    earlier = {**second, "recorded_at": "2025-01-01T00:00:00Z", "position": 7}
    done = run_tracker("import", str(write_lines(tmp_path / "a.jsonl", [recorded])), env=env)
    assert done.returncode == 0, done.stderr

    refused = run_tracker("import", str(write_lines(tmp_path / "b.jsonl", [earlier])), env=env)
    assert refused.returncode == 1, refused.stderr
    assert "line 1.recorded_at" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    later = {**third, "recorded_at": "2025-06-02T00:00:00Z"}
    again = run_tracker("import", str(write_lines(tmp_path / "c.jsonl", [later])), env=env)
    assert again.returncode == 0, again.stderr

    exported = run_tracker("export", env=env)
    log = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [e["id"] for e in log] == [first["id"], third["id"]]
    stamps = [e["recorded_at"] for e in log]
    assert stamps == sorted(stamps), "recorded_at goes back in log order"


def test_an_import_line_with_a_known_id_but_other_content_is_an_error_naming_the_line(
    tmp_path: Path,
) -> None:
    env = tracker_env(tmp_path / "data")
    imported = run_tracker("import", str(EXAMPLES), env=env)
    assert imported.returncode == 0, imported.stderr
    before = run_tracker("export", env=env).stdout

    lines = example_lines()
    lines[2] = {**lines[2], "title": "Another title under the same id"}
    changed = run_tracker("import", str(write_lines(tmp_path / "x.jsonl", lines)), env=env)
    assert changed.returncode == 1, changed.stderr
    assert "line 3.id" in changed.stderr and "title" in changed.stderr, changed.stderr
    assert "line 1." not in changed.stderr and "line 2." not in changed.stderr
    assert run_tracker("export", env=env).stdout == before

    same = run_tracker("import", str(EXAMPLES), env=env)
    assert same.returncode == 0, same.stderr
    assert f"0 imported, {len(lines)} already held" in same.stderr, same.stderr
