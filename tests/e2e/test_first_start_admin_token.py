"""The first `tracker serve` on a store with no TRACKER_API_TOKEN makes an admin token, prints it
once and keeps it in a 0600 file of that store's own in the 0700 data dir (<data dir>/admin-token
for the default SQLite store), never overwriting one; writes need a token whose scope allows
them."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import requests

from tests.conftest import postgres_url_for
from tests.e2e.process import TrackerProcesses, bearer, run_tracker, tracker_env
from tests.factories import development


def post_event(url: str, body: dict[str, object], headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{url}/v1/events", json=body, headers=headers, timeout=10)


def test_first_start_prints_an_admin_token_once_and_keeps_it_in_a_private_file(
    tmp_path: Path, trackers: TrackerProcesses
) -> None:
    data_dir = tmp_path / "data"
    server = trackers.serve(tracker_env(data_dir))
    token_file = data_dir / "admin-token"
    token = token_file.read_text().strip()
    assert token.startswith("trk_"), "the admin-token file holds no token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    first_output = server.stdout()
    assert first_output.count(token) == 1, first_output

    created = post_event(server.url, development("meeting.held"), bearer(token))
    assert created.status_code == 201, created.text
    assert created.json()["subject"] == "meeting:example-meeting-held"

    assert server.stop() is not None
    server.start()
    assert token not in server.stdout()
    assert "token" not in server.stdout().lower(), server.stdout()
    assert token_file.read_text().strip() == token
    again = post_event(server.url, development("meeting.held"), bearer(token))
    assert again.status_code == 201, again.text
    assert again.json()["version"] == 2


def test_a_post_without_a_token_gets_401_problem_with_a_bearer_challenge(
    tmp_path: Path, trackers: TrackerProcesses
) -> None:
    server = trackers.serve(tracker_env(tmp_path / "data"))
    refused = post_event(server.url, development("meeting.held"), {})
    assert refused.status_code == 401
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.headers["WWW-Authenticate"].lower().startswith("bearer")
    problem = refused.json()
    assert problem["status"] == 401
    assert {"type", "title", "detail"} <= set(problem)
    wrong = post_event(server.url, development("meeting.held"), bearer("trk_not-a-token"))
    assert wrong.status_code == 401
    assert "WWW-Authenticate" in wrong.headers
    listing = requests.get(f"{server.url}/v1/events", timeout=10)
    assert listing.json()["items"] == [], "a refused POST must not record anything"


def test_a_read_token_from_the_cli_can_read_but_gets_403_on_post(
    tmp_path: Path, trackers: TrackerProcesses
) -> None:
    env = tracker_env(tmp_path / "data", TRACKER_REQUIRE_READ_TOKEN="true")
    server = trackers.serve(env)
    created = run_tracker("token", "create", "--scope", "read", env=env)
    assert created.returncode == 0, created.stderr
    reader = created.stdout.strip()
    assert reader and len(reader.splitlines()) == 1, created.stdout

    denied = post_event(server.url, development("meeting.held"), bearer(reader))
    assert denied.status_code == 403
    assert denied.headers["Content-Type"].startswith("application/problem+json")
    assert denied.json()["status"] == 403

    assert requests.get(f"{server.url}/v1/events", timeout=10).status_code == 401
    read = requests.get(f"{server.url}/v1/events", headers=bearer(reader), timeout=10)
    assert read.status_code == 200, read.text
    assert read.json()["items"] == []


def test_a_non_ascii_bearer_token_gets_401_not_500_when_an_api_token_is_set(
    tmp_path: Path, trackers: TrackerProcesses
) -> None:
    server = trackers.serve(tracker_env(tmp_path / "data", TRACKER_API_TOKEN="trk_configured"))
    for token in ("trk_configuré", "trk_\u00ff\u00fe"):
        refused = post_event(server.url, development("meeting.held"), bearer(token))
        assert refused.status_code == 401, (token, refused.text)
        assert refused.headers["Content-Type"].startswith("application/problem+json")
    utf8 = {"Authorization": "Bearer trk_ключ".encode()}
    refused = requests.post(
        f"{server.url}/v1/events", json=development("meeting.held"), headers=utf8, timeout=10
    )
    assert refused.status_code == 401, refused.text
    allowed = post_event(server.url, development("meeting.held"), bearer("trk_configured"))
    assert allowed.status_code == 201, allowed.text


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def kept_in(output: str) -> tuple[str, Path]:
    """The token and the file a first start said it kept it in."""
    found = re.search(r"admin token (\S+)\n\(kept in (.+?), mode 0600", output)
    assert found, output
    return found.group(1), Path(found.group(2))


def test_starting_on_postgresql_from_the_folder_of_an_sqlite_store_keeps_its_admin_token(
    tmp_path: Path, trackers: TrackerProcesses, postgres_schema: str
) -> None:
    data_dir = tmp_path / "data"
    sqlite = trackers.serve(tracker_env(data_dir))
    sqlite_token, sqlite_file = kept_in(sqlite.stdout())
    assert sqlite_file == data_dir / "admin-token"
    sqlite.stop()

    postgres_env = tracker_env(data_dir, TRACKER_DATABASE_URL=postgres_url_for(postgres_schema))
    postgres = trackers.serve(postgres_env)
    postgres_token, postgres_file = kept_in(postgres.stdout())
    assert postgres_token != sqlite_token
    assert postgres_file.parent == data_dir and postgres_file != sqlite_file
    assert postgres_schema in postgres_file.name, postgres_file
    assert (data_dir / "admin-token").read_text().strip() == sqlite_token, "overwritten"
    assert postgres_file.read_text().strip() == postgres_token
    assert mode_of(postgres_file) == 0o600
    created = post_event(postgres.url, development("meeting.held"), bearer(postgres_token))
    assert created.status_code == 201, created.text
    postgres.stop()

    sqlite.start()
    again = post_event(sqlite.url, development("meeting.held"), bearer(sqlite_token))
    assert again.status_code == 201, again.text


def test_an_existing_admin_token_file_is_never_overwritten(
    tmp_path: Path, trackers: TrackerProcesses
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "admin-token").write_text("trk_of-a-store-since-emptied\n")
    server = trackers.serve(tracker_env(data_dir))
    token, file = kept_in(server.stdout())
    assert (data_dir / "admin-token").read_text() == "trk_of-a-store-since-emptied\n"
    assert file == data_dir / "admin-token-2"
    assert file.read_text().strip() == token
    created = post_event(server.url, development("meeting.held"), bearer(token))
    assert created.status_code == 201, created.text


def test_the_data_dir_is_0700_and_the_store_files_0600_made_so_and_mended_at_start(
    tmp_path: Path, trackers: TrackerProcesses
) -> None:
    data_dir = tmp_path / "data"
    server = trackers.serve(tracker_env(data_dir))
    token, _ = kept_in(server.stdout())
    created = post_event(server.url, development("meeting.held"), bearer(token))
    assert created.status_code == 201, created.text
    files = [data_dir / n for n in ("tracker.db", "tracker.db-wal", "tracker.db-shm")]
    files.append(data_dir / "admin-token")
    assert mode_of(data_dir) == 0o700
    assert {f.name: mode_of(f) for f in files} == {f.name: 0o600 for f in files}

    server.stop()
    os.chmod(data_dir, 0o755)
    for file in files:
        if file.exists():
            os.chmod(file, 0o644)
    server.start()
    assert mode_of(data_dir) == 0o700
    assert {f.name: mode_of(f) for f in files if f.exists()} == {
        f.name: 0o600 for f in files if f.exists()
    }
