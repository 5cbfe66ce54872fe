"""The first `tracker serve` with no TRACKER_API_TOKEN makes an admin token, prints it once and
keeps it in <data dir>/admin-token (0600); writes need a token whose scope allows them."""

from __future__ import annotations

import stat
from pathlib import Path

import requests

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
