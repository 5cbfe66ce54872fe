"""`GET /v1/stream` on a real `tracker serve`, on both stores: appends arrive live and in order
as GET /v1/events/<id> returns them; a client resuming by Last-Event-ID or after= misses
nothing; filters; heartbeats; the cap; bad parameters; and with 100 streams open, appends
still answer quickly."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.process import TrackerProcess, TrackerProcesses, tracker_env
from tests.e2e.sse import SSEClient
from tests.eventually import eventually

TOKEN = "stream-test-token"
DEVELOPMENTS = Path(__file__).resolve().parents[2] / "config" / "examples" / "developments"


def development(kind: str, **changes: Any) -> dict[str, Any]:
    return {**json.loads((DEVELOPMENTS / f"{kind}.json").read_text()), **changes}


def post(tracker: TrackerProcess, body: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(
        f"{tracker.url}/v1/events",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def serve(
    trackers: TrackerProcesses, tmp_path: Path, store: dict[str, str], **settings: str
) -> TrackerProcess:
    env = tracker_env(tmp_path / "data", TRACKER_API_TOKEN=TOKEN, **store, **settings)
    return trackers.serve(env)


def test_appends_arrive_live_in_order_and_a_resumed_stream_misses_nothing(
    trackers: TrackerProcesses, tmp_path: Path, store_settings: dict[str, str]
) -> None:
    tracker = serve(trackers, tmp_path, store_settings)
    live = SSEClient(f"{tracker.url}/v1/stream")
    assert live.status == 200
    assert live.response.getheader("Content-Type", "").startswith("text/event-stream")
    posted = [post(tracker, development("assistance.provided")) for _ in range(3)]
    got = live.take(3)
    assert [m.id for m in got] == [p["position"] for p in posted]
    assert [m.event for m in got] == ["assistance.provided"] * 3
    for message in got:
        one = requests.get(f"{tracker.url}/v1/events/{message.data['id']}", timeout=5).json()
        assert message.data == one
    live.close()

    later = [post(tracker, development("deal.clinched")) for _ in range(2)]
    resumed = SSEClient(f"{tracker.url}/v1/stream", {"Last-Event-ID": str(got[-1].id)})
    assert [m.id for m in resumed.take(2)] == [p["position"] for p in later]
    also = post(tracker, development("assistance.provided"))  # appends go on meanwhile
    assert resumed.take(1)[0].id == also["position"]
    resumed.close()

    since_first = SSEClient(f"{tracker.url}/v1/stream?after={posted[0]['position']}")
    expected = [p["position"] for p in [*posted[1:], *later, also]]
    assert [m.id for m in since_first.take(len(expected))] == expected
    since_first.close()


def test_filters_by_type_party_and_subject_as_subscriptions_do(
    trackers: TrackerProcesses, tmp_path: Path, store_settings: dict[str, str]
) -> None:
    tracker = serve(trackers, tmp_path, store_settings)
    deals = SSEClient(f"{tracker.url}/v1/stream?type=deal.*")
    subject = SSEClient(f"{tracker.url}/v1/stream?subject=assistance:aus-jpn-earthquake-2011")
    nobody = SSEClient(f"{tracker.url}/v1/stream?party=US")
    japan = SSEClient(f"{tracker.url}/v1/stream?party=JP&type=assistance.provided")
    aid = post(tracker, development("assistance.provided"))
    deal = post(tracker, development("deal.clinched"))
    assert [m.id for m in deals.take(1)] == [deal["position"]]
    assert [m.id for m in subject.take(1)] == [aid["position"]]
    assert [m.id for m in japan.take(1)] == [aid["position"]]
    assert deals.nothing_more() and subject.nothing_more() and japan.nothing_more()
    assert nobody.nothing_more(0)
    for client in (deals, subject, nobody, japan):
        client.close()


def test_a_silent_stream_sends_heartbeats(
    trackers: TrackerProcesses, tmp_path: Path, store_settings: dict[str, str]
) -> None:
    tracker = serve(trackers, tmp_path, store_settings, TRACKER_STREAM_HEARTBEAT_SECONDS="0.3")
    client = SSEClient(f"{tracker.url}/v1/stream")
    opened = time.monotonic()
    comments = [client.received.comments.get(timeout=3) for _ in range(3)]
    assert comments[0][0] == ": open"
    assert [text for text, _ in comments[1:]] == [": heartbeat", ": heartbeat"]
    assert comments[-1][1] - opened < 2.0
    client.close()


def test_past_the_cap_a_stream_is_refused_with_503_and_a_closed_one_frees_its_slot(
    trackers: TrackerProcesses, tmp_path: Path, store_settings: dict[str, str]
) -> None:
    tracker = serve(trackers, tmp_path, store_settings, TRACKER_STREAMS_MAX="2")
    first, second = SSEClient(f"{tracker.url}/v1/stream"), SSEClient(f"{tracker.url}/v1/stream")
    assert (first.status, second.status) == (200, 200)
    refused = requests.get(f"{tracker.url}/v1/stream", timeout=5)
    assert refused.status_code == 503
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.headers["Retry-After"]
    first.close()

    def slot_freed() -> bool:
        again = SSEClient(f"{tracker.url}/v1/stream")
        again.close()
        return again.status == 200

    eventually(slot_freed, timeout=5, interval=0.3, message="a closed stream kept its slot")
    second.close()


@pytest.mark.parametrize(
    ("query", "headers", "field"),
    [
        ("after=-1", {}, "after"),
        ("after=x", {}, "after"),
        ("type=deal.nothing", {}, "type"),
        ("party=XX", {}, "party"),
        ("subject=nothing", {}, "subject"),
        ("colour=red", {}, "colour"),
        ("", {"Last-Event-ID": "seven"}, "Last-Event-ID"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    example_tracker: TrackerProcess, query: str, headers: dict[str, str], field: str
) -> None:
    answer = requests.get(f"{example_tracker.url}/v1/stream?{query}", headers=headers, timeout=5)
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert field in [e["field"].split(".")[0] for e in answer.json()["errors"]]


def test_with_100_streams_open_an_append_still_answers_quickly(
    trackers: TrackerProcesses, tmp_path: Path, store_settings: dict[str, str]
) -> None:
    tracker = serve(trackers, tmp_path, store_settings)
    streams = [SSEClient(f"{tracker.url}/v1/stream") for _ in range(100)]
    assert all(s.status == 200 for s in streams)
    session = requests.Session()
    timings = []
    for _ in range(30):
        started = time.perf_counter()
        answer = session.post(
            f"{tracker.url}/v1/events",
            json=development("assistance.provided"),
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        timings.append(time.perf_counter() - started)
        assert answer.status_code == 201
    for stream in streams:
        assert len(stream.take(30, timeout=10)) == 30
    p50 = statistics.median(timings) * 1000
    print(f"append p50 with 100 streams open: {p50:.1f} ms")
    assert p50 < 200  # the target is 50 ms; a loose bound on a shared, noisy machine
    for stream in streams:
        stream.close()


def test_a_stream_from_before_the_feed_began_reads_its_way_up_from_the_store(
    trackers: TrackerProcesses, tmp_path: Path, store_settings: dict[str, str]
) -> None:
    tracker = serve(trackers, tmp_path, store_settings)
    earlier = [post(tracker, development("meeting.held")) for _ in range(3)]  # no stream yet
    client = SSEClient(f"{tracker.url}/v1/stream?after=0")
    live = post(tracker, development("deal.clinched"))
    expected = [p["position"] for p in [*earlier, live]]
    assert [m.id for m in client.take(4)] == expected
    client.close()


def test_open_streams_leave_the_request_threads_to_writes(
    trackers: TrackerProcesses, tmp_path: Path, store_settings: dict[str, str]
) -> None:
    tracker = serve(trackers, tmp_path, store_settings, TRACKER_THREADS="2")
    streams = [SSEClient(f"{tracker.url}/v1/stream") for _ in range(10)]  # 5x the threads
    posted = post(tracker, development("assistance.provided"))
    assert requests.get(f"{tracker.url}/v1/events/{posted['id']}", timeout=5).ok
    for stream in streams:
        assert stream.take(1)[0].id == posted["position"]
        stream.close()


def test_at_stop_every_open_stream_ends_its_response(
    trackers: TrackerProcesses, tmp_path: Path, store_settings: dict[str, str]
) -> None:
    tracker = serve(trackers, tmp_path, store_settings)
    streams = [SSEClient(f"{tracker.url}/v1/stream") for _ in range(3)]
    assert all(s.received.comments.get(timeout=5)[0] == ": open" for s in streams)
    started = time.monotonic()
    assert tracker.stop(timeout=10) == 0
    assert time.monotonic() - started < 5
    for stream in streams:
        assert stream.received.ended.wait(5)
        assert stream.received.complete, "the response was cut off, not ended"


def test_a_head_of_the_stream_answers_its_headers_and_holds_no_slot(
    trackers: TrackerProcesses, tmp_path: Path, store_settings: dict[str, str]
) -> None:
    tracker = serve(trackers, tmp_path, store_settings, TRACKER_STREAMS_MAX="1")
    for _ in range(3):
        head = requests.head(f"{tracker.url}/v1/stream", timeout=5)
        assert head.status_code == 200
        assert head.headers["Content-Type"].startswith("text/event-stream")
    client = SSEClient(f"{tracker.url}/v1/stream")
    assert client.status == 200
    client.close()
