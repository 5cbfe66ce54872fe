"""`tracker serve` with TRACKER_LOG_FORMAT=json logs JSON lines to stderr, a
request's among them under the id the client gave."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from tests.e2e.process import TrackerProcesses, tracker_env
from tests.eventually import eventually


def test_a_json_logging_server_writes_one_object_per_line(
    tmp_path: Path, trackers: TrackerProcesses
) -> None:
    server = trackers.serve(tracker_env(tmp_path / "data", TRACKER_LOG_FORMAT="json"))
    answer = requests.get(f"{server.url}/v1/types", headers={"X-Request-Id": "e2e-1"}, timeout=10)
    assert answer.headers["X-Request-Id"] == "e2e-1"

    def logged() -> dict[str, object] | None:
        entries = [json.loads(line) for line in server.stderr().splitlines() if line.strip()]
        return next((e for e in entries if e.get("request_id") == "e2e-1"), None)

    entry = eventually(logged, message="the request's line was not written")
    assert entry["message"] == "GET /v1/types 200"
    assert entry["logger"] == "tracker.requests" and entry["level"] == "INFO"
    server.stop()
    for line in server.stderr().splitlines():
        if line.strip() and line != "tracker stopped":
            json.loads(line)  # every line the service logged is one JSON object
