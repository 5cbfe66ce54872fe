"""`tracker export` of an SQLite store, imported into an empty PostgreSQL store and exported
again, gives byte-identical output; a bad file imports nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, postgres_url_for


def tracker(*args: str, data_dir: Path, database_url: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACKER_DATA_DIR": str(data_dir), "TRACKER_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_sqlite_export_restored_into_postgres_exports_identically(
    tmp_path: Path, postgres_schema: str
):
    sqlite_dir, postgres = tmp_path / "sqlite", postgres_url_for(postgres_schema)
    assert tracker("import", str(EXAMPLES), data_dir=sqlite_dir).returncode == 0
    first = tmp_path / "a.jsonl"
    assert tracker("export", "-o", str(first), data_dir=sqlite_dir).returncode == 0
    restored = tracker("import", str(first), data_dir=tmp_path, database_url=postgres)
    assert restored.returncode == 0, restored.stderr
    assert "15 imported" in restored.stderr
    second = tmp_path / "b.jsonl"
    assert (
        tracker("export", "-o", str(second), data_dir=tmp_path, database_url=postgres).returncode
        == 0
    )
    assert first.read_bytes() == second.read_bytes()
    assert len(first.read_text().splitlines()) == 15
    again = tracker("import", str(first), data_dir=tmp_path, database_url=postgres)
    assert "0 imported, 15 already held" in again.stderr


def test_a_file_with_bad_lines_imports_nothing_and_names_the_lines(tmp_path: Path):
    lines = Path(EXAMPLES).read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        "\n".join([lines[0], "{not json", lines[1].replace('"JPN"', '"XXX"'), lines[2]]) + "\n"
    )
    result = tracker("import", str(bad), data_dir=tmp_path)
    assert result.returncode == 1
    assert "line 2: not JSON" in result.stderr
    assert "line 3: parties.1:" in result.stderr or "line 3: parties.0:" in result.stderr
    assert "nothing was imported" in result.stderr
    assert tracker("export", data_dir=tmp_path).stdout == ""
