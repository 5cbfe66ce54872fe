"""Webhooks end to end in one process: subscriptions over HTTP, the outbox, the dispatcher,
a real receiver on loopback verifying Standard Webhooks signatures and CloudEvents bodies."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cloudevents.v1.http import from_http
from standardwebhooks.webhooks import Webhook

from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from events.subscription import Filters
from events.subscriptions import Subscriptions
from service.bootstrap import bootstrap
from service.settings import Settings
from service.store.locations import subscriptions_environment
from service.webhooks.outbox import Outbox
from tests.conftest import LiveServer, auth
from tests.eventually import eventually
from tests.factories import development
from tests.webhook_receiver import Receiver, UnavailableOnce, free_port

FAST_SCHEDULE = ("0s", "0.3s", "0.3s", "0.3s", "0.3s")


@pytest.fixture
def hooks(settings: Settings) -> Iterator[LiveServer]:
    """A live server whose views and webhooks follow the log; loopback may receive hooks."""
    container = bootstrap(
        settings.replace(
            webhook_allowed_networks=("127.0.0.0/8",),
            retry_schedule=FAST_SCHEDULE,
        )
    )
    container.follow_log()
    with LiveServer(container) as server:
        server.container = container  # type: ignore[attr-defined]
        yield server
    container.close()


def subscribe(server: LiveServer, url: str, **filters: Any) -> dict[str, Any]:
    response = requests.post(
        f"{server.url}/v1/subscriptions", json={"url": url, **filters}, headers=auth(), timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


def post(server: LiveServer, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(f"{server.url}/v1/events", json=body, headers=auth(), timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def outbox_position(server: LiveServer) -> int:
    """How far along the log the outbox has recorded deliveries."""
    return int(server.container.webhooks.store.position())  # type: ignore[attr-defined]


def settled(server: LiveServer, subscription: dict[str, Any], position: int) -> list[str]:
    """The statuses in the delivery log once the outbox has recorded every delivery up to
    `position` (a delivery not in the log then never will be)."""
    if outbox_position(server) < position:
        return []
    return [d["status"] for d in deliveries(server, subscription)]


def deliveries(server: LiveServer, subscription: dict[str, Any]) -> list[dict[str, Any]]:
    return requests.get(
        f"{server.url}/v1/subscriptions/{subscription['id']}/deliveries", headers=auth(), timeout=10
    ).json()["items"]


def test_each_matching_event_arrives_signed_as_a_cloudevent(hooks: LiveServer, receiver: Receiver):
    subscription = subscribe(hooks, receiver.url, types=["agreement.*"], parties=["JP"])
    assert subscription["secret"].startswith("whsec_")
    signed = post(hooks, development("agreement.signed", "agreement:raa"))
    post(hooks, development("deal.clinched", "deal:x"))
    ratified = post(hooks, development("agreement.ratified", "agreement:raa"))
    eventually(
        lambda: settled(hooks, subscription, ratified["position"]) == ["delivered"] * 2,
        message="the two matching events delivered, the deal not recorded for it",
    )
    got = receiver.bodies()
    assert len(got) == 2
    for received, stored in zip(
        sorted(got, key=lambda r: json.loads(r.body)["sequence"]), [signed, ratified], strict=True
    ):
        Webhook(subscription["secret"]).verify(received.body, received.headers)
        cloud = from_http(received.headers, received.body)
        assert cloud["id"] == stored["id"] == received.headers["webhook-id"]
        assert cloud["type"] == stored["type"]
        assert cloud["sequence"] == str(stored["position"])
        assert cloud.data == stored
        assert received.headers["Content-Type"] == "application/cloudevents+json"


def test_a_receiver_that_refuses_then_fails_then_answers_gets_everything(hooks: LiveServer):
    port = free_port()
    subscription = subscribe(hooks, f"http://127.0.0.1:{port}/hook")
    stored = post(hooks, development("meeting.held", "meeting:m"))
    eventually(lambda: any(d["attempts"] >= 1 for d in deliveries(hooks, subscription)))
    receiver = Receiver(port, statuses=[500]).start()
    try:
        delivered = eventually(
            lambda: [d for d in deliveries(hooks, subscription) if d["status"] == "delivered"]
        )
        log = delivered[0]["attempt_log"]
        assert log[0]["status"] is None and "Connection" in (log[0]["error"] or "")
        assert [a["status"] for a in log[-2:]] == [500, 200]
        # Attempt n+1 waits the schedule's n-th delay, give or take the 20% jitter.
        schedule = [float(d.rstrip("s")) for d in FAST_SCHEDULE]
        for number, (earlier, later) in enumerate(itertools.pairwise(log), start=1):
            waited = (later["at"] - earlier["at"]) / 1e6
            assert waited >= 0.8 * schedule[number] - 0.05, (number, waited)
        ids = {r.headers["webhook-id"] for r in receiver.bodies()}
        assert ids == {stored["id"]}
        assert len(receiver.bodies()) == 2
    finally:
        receiver.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/",
        "http://10.0.0.1/",
        "http://localhost/hook",
        "ftp://example.org/x",
        "http://user:pw@127.0.0.1/",
    ],
)
def test_unsafe_endpoints_are_refused_with_422(live_server: LiveServer, url: str):
    response = requests.post(
        f"{live_server.url}/v1/subscriptions", json={"url": url}, headers=auth(), timeout=10
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "url"
    listed = requests.get(f"{live_server.url}/v1/subscriptions", headers=auth(), timeout=10)
    assert listed.json()["items"] == []


def test_during_a_rotation_deliveries_verify_with_the_old_and_the_new_secret(
    hooks: LiveServer, receiver: Receiver
):
    subscription = subscribe(hooks, receiver.url)
    rotated = requests.post(
        f"{hooks.url}/v1/subscriptions/{subscription['id']}/rotate-secret",
        headers=auth(),
        timeout=10,
    ).json()
    assert rotated["secret"] != subscription["secret"]
    post(hooks, development("meeting.held", "meeting:m"))
    received = eventually(receiver.bodies)[0]
    Webhook(subscription["secret"]).verify(received.body, received.headers)
    Webhook(rotated["secret"]).verify(received.body, received.headers)
    assert len(received.headers["webhook-signature"].split(" ")) == 2


def test_410_disables_and_re_enabling_sends_what_was_missed(hooks: LiveServer, receiver: Receiver):
    receiver.statuses = [410]
    subscription = subscribe(hooks, receiver.url)
    post(hooks, development("meeting.held", "meeting:a"))
    url = f"{hooks.url}/v1/subscriptions/{subscription['id']}"
    eventually(lambda: requests.get(url, headers=auth(), timeout=5).json()["status"] == "disabled")
    held = post(hooks, development("meeting.held", "meeting:b"))
    eventually(
        lambda: settled(hooks, subscription, held["position"]) == ["held", "held"],
        message="the event after the 410 held",
    )
    assert len(receiver.bodies()) == 1
    assert requests.patch(url, json={"status": "active"}, headers=auth(), timeout=5).ok
    eventually(
        lambda: (
            len({r.headers["webhook-id"] for r in receiver.bodies()}) == 2
            and len(receiver.bodies()) == 3
        )
    )


def test_a_paused_subscription_holds_its_deliveries_until_resumed(
    hooks: LiveServer, receiver: Receiver
):
    subscription = subscribe(hooks, receiver.url)
    url = f"{hooks.url}/v1/subscriptions/{subscription['id']}"
    requests.patch(url, json={"status": "paused"}, headers=auth(), timeout=5)
    post(hooks, development("meeting.held", "meeting:a"))
    eventually(lambda: [d for d in deliveries(hooks, subscription) if d["status"] == "held"])
    assert receiver.bodies() == []
    requests.patch(url, json={"status": "active"}, headers=auth(), timeout=5)
    eventually(receiver.bodies)


def test_a_backfill_sends_events_recorded_before_the_subscription(
    hooks: LiveServer, receiver: Receiver
):
    before = post(hooks, development("deal.clinched", "deal:x"))
    subscription = subscribe(hooks, receiver.url)
    eventually(
        lambda: outbox_position(hooks) >= before["position"],
        message="the outbox past the earlier event",
    )
    assert deliveries(hooks, subscription) == [] and receiver.bodies() == []
    backfill = requests.post(
        f"{hooks.url}/v1/subscriptions/{subscription['id']}/replay",
        json={"after_position": 0},
        headers=auth(),
        timeout=10,
    )
    assert backfill.status_code == 202
    assert backfill.json() == {
        "scheduled": 1,
        "already_delivered": 0,
        "already_pending": 0,
        "already_failed": 0,
        "resent": 0,
    }
    received = eventually(receiver.bodies)
    assert received[0].headers["webhook-id"] == before["id"]


def test_a_failed_delivery_can_be_redelivered(hooks: LiveServer, receiver: Receiver):
    receiver.statuses = [500] * 5
    subscription = subscribe(hooks, receiver.url)
    post(hooks, development("meeting.held", "meeting:a"))
    failed = eventually(
        lambda: [d for d in deliveries(hooks, subscription) if d["status"] == "failed"]
    )
    assert failed[0]["attempts"] == len(FAST_SCHEDULE)
    again = requests.post(
        f"{hooks.url}/v1/deliveries/{failed[0]['id']}/redeliver", headers=auth(), timeout=5
    )
    assert again.status_code == 202
    eventually(lambda: deliveries(hooks, subscription)[0]["status"] == "delivered")


def test_subscriptions_need_a_write_token(hooks: LiveServer):
    assert requests.get(f"{hooks.url}/v1/subscriptions", timeout=5).status_code == 401


def test_a_subscription_failing_too_long_is_disabled_and_resumes_where_it_stopped(
    hooks: LiveServer,
):
    from service.webhooks.clock import disable_failing

    container = hooks.container  # type: ignore[attr-defined]
    port = free_port()
    subscription = subscribe(hooks, f"http://127.0.0.1:{port}/hook")
    first = post(hooks, development("meeting.held", "meeting:a"))
    eventually(lambda: any(d["attempts"] >= 1 for d in deliveries(hooks, subscription)))
    disabled = disable_failing(container.subscriptions, container.webhooks.store, after=0)
    assert disabled == [subscription["id"]]
    url = f"{hooks.url}/v1/subscriptions/{subscription['id']}"
    state = requests.get(url, headers=auth(), timeout=5).json()
    assert state["status"] == "disabled" and "failed" in state["disabled_reason"]
    history = container.subscriptions.events.get(subscription["id"])
    assert any(type(e).__name__ == "Disabled" for e in history)
    second = post(hooks, development("meeting.held", "meeting:b"))
    receiver = Receiver(port).start()
    try:
        requests.patch(url, json={"status": "active"}, headers=auth(), timeout=5)
        got = eventually(
            lambda: (
                {r.headers["webhook-id"] for r in receiver.bodies()} >= {first["id"], second["id"]}
            )
        )
        assert got
    finally:
        receiver.stop()


def test_a_redirect_is_a_failure_and_is_not_followed(hooks: LiveServer, receiver: Receiver):
    receiver.statuses = [302]
    subscription = subscribe(hooks, receiver.url)
    post(hooks, development("meeting.held", "meeting:a"))
    delivered = eventually(
        lambda: [d for d in deliveries(hooks, subscription) if d["status"] == "delivered"]
    )
    log = delivered[0]["attempt_log"]
    assert [a["status"] for a in log] == [302, 200]
    assert "redirects are not followed" in log[0]["error"]
    assert {r.path for r in receiver.bodies()} == {"/hook"}


def test_a_subscription_made_by_another_process_is_heard_of_at_once(settings: Settings):
    """Who hears of an event is decided on the store's word, never on a list cached by this
    process: a subscription made elsewhere a moment ago gets the events recorded after it."""
    here = bootstrap(settings)
    elsewhere = Subscriptions(env=subscriptions_environment(settings))
    try:
        assert here.subscriptions.recent() == []  # this process has just read the list
        made = elsewhere.create("https://example.org/hook", Filters())
        assert [s.id for s in here.subscriptions.all()] == [made.id]
        assert here.subscriptions.current(made.id).id == made.id
    finally:
        elsewhere.close()
        here.close()


def test_two_outboxes_taking_turns_record_each_delivery_once(settings: Settings):
    """Each outbox remembers where it left the log; when the other has moved on, its batch is
    refused, rolled back, and it asks the store again."""
    container = bootstrap(settings)
    try:
        made = container.subscriptions.create("https://example.org/hook", Filters())
        store = container.webhooks.store
        first, second = (
            Outbox(container.record, container.subscriptions, store, lambda: None, batch_size=3)
            for _ in range(2)
        )
        stale = 0
        for round_ in range(4):
            for number in range(5):
                container.record.append(
                    [
                        Posting(
                            DevelopmentSchema().load(
                                development("meeting.held", f"meeting:{round_}-{number}")
                            )
                        )
                    ]
                )
            for outbox in (first, second, first, second, second, first):
                try:
                    outbox.run_batch()
                except Exception as refused:
                    assert type(refused).__name__ == "_Stale"
                    stale += 1
        while first.run_batch() or second.run_batch():
            pass
        rows = store.db.query("SELECT event_id FROM " + store.deliveries)
        assert len(rows) == len({r[0] for r in rows}) == 20
        assert store.position() == container.record.max_position()
        assert stale > 0 and made.id
    finally:
        container.close()


def test_a_ping_posts_a_signed_test_event_and_says_how_the_endpoint_answered(
    hooks: LiveServer, receiver: Receiver
):
    subscription = subscribe(hooks, receiver.url)
    answer = requests.post(
        f"{hooks.url}/v1/subscriptions/{subscription['id']}/ping", headers=auth(), timeout=10
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == 200 and answer.json()["error"] is None
    [received] = receiver.bodies()
    Webhook(subscription["secret"]).verify(received.body, received.headers)
    assert json.loads(received.body)["type"] == "tracker.ping"
    gone = free_port()
    requests.patch(
        f"{hooks.url}/v1/subscriptions/{subscription['id']}",
        json={"url": f"http://127.0.0.1:{gone}/hook"},
        headers=auth(),
        timeout=5,
    ).raise_for_status()
    refused = requests.post(
        f"{hooks.url}/v1/subscriptions/{subscription['id']}/ping", headers=auth(), timeout=10
    ).json()
    assert refused["status"] is None and "Connect" in refused["error"]


def test_a_503_with_retry_after_rests_the_subscription(hooks: LiveServer):
    """A 503 with Retry-After: 3 rests the whole subscription for 3 s (longer than the
    schedule's 0.3 s): a development posted 1 s into the rest is not sent before it ends."""
    receiver = UnavailableOnce(retry_after="3")
    try:
        subscription = subscribe(hooks, receiver.url)
        first = post(hooks, development("meeting.held", "meeting:a"))
        refused_at = eventually(receiver.got, message="the first attempt")[0][0]
        time.sleep(max(0.0, refused_at + 1 - time.monotonic()))
        second = post(hooks, development("meeting.held", "meeting:b"))
        eventually(
            lambda: settled(hooks, subscription, second["position"]) == ["delivered"] * 2,
            message="both delivered once the rest is over",
        )
        later = receiver.got()[1:]
        assert {webhook_id for _, webhook_id in later} == {first["id"], second["id"]}
        assert all(at >= refused_at + 2.9 for at, _ in later), [
            round(at - refused_at, 2) for at, _ in later
        ]
    finally:
        receiver.stop()


def backfill(server: LiveServer, subscription: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = requests.post(
        f"{server.url}/v1/subscriptions/{subscription['id']}/replay",
        json={"after_position": 0, **body},
        headers=auth(),
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


def test_a_second_backfill_says_what_it_skipped_and_why(hooks: LiveServer, receiver: Receiver):
    """A second backfill of the same range schedules nothing and says each event has a
    delivery already, by its state; with resend: true the delivered ones are sent again."""
    posted = [post(hooks, development("meeting.held", f"meeting:m{n}")) for n in range(5)]
    subscription = subscribe(hooks, receiver.url)
    eventually(lambda: outbox_position(hooks) >= posted[-1]["position"])
    assert backfill(hooks, subscription)["scheduled"] == 5
    eventually(lambda: settled(hooks, subscription, posted[-1]["position"]) == ["delivered"] * 5)
    assert backfill(hooks, subscription) == {
        "scheduled": 0,
        "already_delivered": 5,
        "already_pending": 0,
        "already_failed": 0,
        "resent": 0,
    }
    assert len(receiver.bodies()) == 5
    assert backfill(hooks, subscription, resend=True) == {
        "scheduled": 5,
        "already_delivered": 5,
        "already_pending": 0,
        "already_failed": 0,
        "resent": 5,
    }
    again = eventually(lambda: len(receiver.bodies()) == 10 and receiver.bodies()[5:])
    assert sorted(r.headers["webhook-id"] for r in again) == sorted(p["id"] for p in posted)
    eventually(lambda: settled(hooks, subscription, posted[-1]["position"]) == ["delivered"] * 5)
    refused = requests.post(
        f"{hooks.url}/v1/subscriptions/{subscription['id']}/replay",
        json={"after_position": 0, "resend": "yes"},
        headers=auth(),
        timeout=10,
    )
    assert refused.status_code == 422
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in refused.json()["errors"]] == ["resend"]
