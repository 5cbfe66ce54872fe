"""The webhook and token lists paged by an opaque cursor, on both stores: subscriptions, a
subscription's deliveries, a delivery's attempts, tokens. Walking every page by its Link yields
every item once and in order, with the items added between pages (or, newest first, without
them: they come before the pages still to walk); a cursor not of the list, or a limit outside
1-1000, is a 422 problem naming it; the portal's and the tokens' pages link their next page."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from events.subscription import Filters, Subscription
from service.app import create_app
from service.auth import Scope
from service.bootstrap import Container
from service.pages.portal import HEALTH_DELIVERIES
from service.webhooks.delivery import Claimed, DeliveryStore, Status
from tests.conftest import auth
from tests.integration.test_paging import walk
from tests.integration.test_sessions import sign_in

URL = "https://hooks.example.org/tracker"
NOT_CURSORS = ["bm90IG91cnM", "x" * 401, "WyJhIl0", "WzEsMiwzLDRd", "%25%25", "eyJhIjoxfQ"]
NEXT = re.compile(r'<a rel="next" href="([^"]+)"')


@pytest.fixture
def client(container: Container) -> FlaskClient:
    return create_app(container).test_client()


def subscribe(container: Container) -> Subscription:
    return container.subscriptions.create(URL, Filters((), (), ()))


class Log:
    """A subscription's deliveries, recorded as the outbox and the dispatcher record them."""

    def __init__(self, container: Container) -> None:
        self.store: DeliveryStore = container.webhooks.store
        self.subscription = subscribe(container)
        self.positions: list[int] = []

    def deliver(self, count: int = 1) -> None:
        """Deliveries of the next `count` events of the log."""
        start = self.positions[-1] + 1 if self.positions else 1
        new = list(range(start, start + count))
        self.store.backfill(self.subscription.id, [(f"event-{p}", p) for p in new], "pending")
        self.positions += new

    def delivery(self, position: int) -> dict[str, Any]:
        page = self.store.of_subscription(self.subscription.id, None, 1, after=position - 1)
        return page.items[0]

    def attempt(
        self, position: int, status: Status = Status.PENDING, http_status: int = 500
    ) -> None:
        """One attempt of the delivery at `position`, answered `http_status`, leaving it
        `status`."""
        found = self.delivery(position)
        claimed = Claimed(
            found["id"], self.subscription.id, found["event_id"], position, found["attempts"]
        )
        self.store.finish(
            claimed,
            status=status,
            next_attempt_at=0,
            http_status=http_status,
            error=None,
            duration=0.01,
            excerpt="no",
            trigger="scheduled",
            attempted_by="test",
        )


def test_walking_the_subscriptions_yields_each_once_in_the_order_made(
    container: Container, client: FlaskClient
) -> None:
    made = [subscribe(container) for _ in range(5)]
    added: list[Subscription] = []

    def change() -> None:
        """One made, and one walked already deleted: the pages to come move by neither."""
        container.subscriptions.delete(made[len(added)].id)
        added.append(subscribe(container))

    walked = walk(client, "/v1/subscriptions", {}, "items", 2, headers=auth(), between=change)
    # The last page's `between` made one after the walk had ended.
    assert [s["id"] for s in walked] == [s.id for s in made + added[:-1]]
    assert all("secret" not in s for s in walked)


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_walking_a_delivery_log_yields_each_delivery_once_in_position_order(
    container: Container, client: FlaskClient, order: str
) -> None:
    log = Log(container)
    log.deliver(7)
    log.attempt(3)
    before = list(log.positions)
    walked = walk(
        client,
        f"/v1/subscriptions/{log.subscription.id}/deliveries",
        {"order": order},
        "items",
        2,
        headers=auth(),
        between=log.deliver,
    )
    positions = [d["position"] for d in walked]
    if order == "asc":
        assert positions == log.positions[:-1]
    else:
        assert positions == before[::-1], "those added since lie before the first page"
    assert len({d["id"] for d in walked}) == len(walked)
    (tried,) = [d for d in walked if d["position"] == 3]
    assert [a["number"] for a in tried["attempt_log"]] == [1]
    assert tried["attempt_log"][0]["status"] == 500


def test_a_delivery_log_by_state_pages_through_that_state_only(
    container: Container, client: FlaskClient
) -> None:
    log = Log(container)
    log.deliver(9)
    failed = [2, 3, 5, 8]
    for position in failed:
        log.attempt(position, Status.FAILED)
    path = f"/v1/subscriptions/{log.subscription.id}/deliveries"
    for status, expected in (
        ("failed", failed),
        ("pending", [p for p in log.positions if p not in failed]),
    ):
        walked = walk(client, path, {"status": status}, "items", 1, headers=auth())
        assert [d["position"] for d in walked] == expected
        assert {d["status"] for d in walked} == {status}


def test_walking_a_deliverys_attempts_yields_each_once_in_order(
    container: Container, client: FlaskClient
) -> None:
    log = Log(container)
    log.deliver(2)
    for _ in range(5):
        log.attempt(2)
    delivery = log.delivery(2)
    walked = walk(
        client,
        f"/v1/deliveries/{delivery['id']}/attempts",
        {},
        "items",
        2,
        headers=auth(),
        between=lambda: log.attempt(2),
    )
    # 5 attempts, and one after each page but the last: 2+1, 2+1, 2+1, then 2+1 ... to 8.
    assert [a["number"] for a in walked] == list(range(1, log.delivery(2)["attempts"]))
    assert all(a["status"] == 500 and a["trigger"] == "scheduled" for a in walked)
    unknown = client.get("/v1/deliveries/nope/attempts", headers=auth())
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"


def test_walking_the_tokens_yields_each_once_oldest_first(
    container: Container, client: FlaskClient
) -> None:
    for n in range(5):
        container.auth.create(Scope.READ, f"reader {n}")
    listed = container.auth.tokens.listed()

    def change() -> None:
        """One made, and one walked already revoked: the pages to come move by neither."""
        container.auth.revoke(listed.pop(0).id)
        container.auth.create(Scope.WRITE, "made while walking")

    everyone = [t.id for t in listed]
    walked = walk(client, "/v1/tokens", {}, "items", 2, headers=auth(), between=change)
    made_since = [t.id for t in container.auth.tokens.listed() if t.label == "made while walking"]
    assert [t["id"] for t in walked] == everyone + made_since[:-1]
    assert [t["label"] for t in walked][:5] == [f"reader {n}" for n in range(5)]
    assert all("token" not in t for t in walked)


def lists(container: Container) -> dict[str, str]:
    """Each list's path, with something in it."""
    log = Log(container)
    log.deliver(3)
    log.attempt(1)
    container.auth.create(Scope.READ, "listed")
    return {
        "subscriptions": "/v1/subscriptions",
        "deliveries": f"/v1/subscriptions/{log.subscription.id}/deliveries",
        "attempts": f"/v1/deliveries/{log.delivery(1)['id']}/attempts",
        "tokens": "/v1/tokens",
    }


def test_a_cursor_not_of_the_list_is_a_422_naming_cursor(
    container: Container, client: FlaskClient
) -> None:
    paths = lists(container)
    others = {
        name: client.get(f"{path}?limit=1", headers=auth()).json["next"]
        for name, path in paths.items()
    }
    for name, path in paths.items():
        # Deliveries and attempts are both keyed by a number: each takes the other's cursor.
        foreign = [
            c for other, c in others.items() if other not in (name, "deliveries", "attempts")
        ]
        for cursor in NOT_CURSORS + foreign:
            answer = client.get(f"{path}?cursor={cursor}", headers=auth())
            assert answer.status_code == 422, (path, cursor, answer.json)
            assert answer.mimetype == "application/problem+json"
            assert "cursor" in {e["field"] for e in answer.json["errors"]}, (path, cursor)


def test_a_limit_outside_1_to_1000_is_a_422_naming_limit(
    container: Container, client: FlaskClient
) -> None:
    for path in lists(container).values():
        for limit in ("0", "1001", "x", "-1"):
            answer = client.get(f"{path}?limit={limit}", headers=auth())
            assert answer.status_code == 422, (path, limit)
            assert answer.mimetype == "application/problem+json"
            assert "limit" in {e["field"] for e in answer.json["errors"]}


def walk_pages(client: FlaskClient, url: str, item: re.Pattern[str]) -> list[str]:
    """What every page shows by following its "Next" link, as a browser without scripts."""
    shown: list[str] = []
    for _ in range(100):
        page = client.get(url)
        assert page.status_code == 200, page.text
        shown += item.findall(page.text)
        following = NEXT.search(page.text)
        if following is None:
            assert "Last page" in page.text
            return shown
        url = html.unescape(following.group(1))
    raise AssertionError("the pages never ended")


def test_the_portal_pages_its_subscriptions_and_each_ones_deliveries(
    container: Container, client: FlaskClient
) -> None:
    sign_in(client, container.auth.create(Scope.WRITE, "portal"))
    log = Log(container)
    made = [log.subscription, *(subscribe(container) for _ in range(4))]
    listed = walk_pages(
        client, "/subscriptions?limit=2", re.compile(r'<a href="/subscriptions/([^"?]+)"')
    )
    assert listed == [s.id for s in made]
    log.deliver(5)
    log.attempt(4, Status.FAILED)
    here = f"/subscriptions/{log.subscription.id}"
    newest_first = walk_pages(client, f"{here}?limit=2", re.compile(r"at position (\d+)"))
    assert newest_first == [str(p) for p in reversed(log.positions)]
    failed = walk_pages(client, f"{here}?limit=1&status=failed", re.compile(r"at position (\d+)"))
    assert failed == ["4"]
    second = client.get(f"{here}?limit=2").text
    assert "First page" not in second
    after_first = client.get(html.unescape(NEXT.search(second).group(1))).text  # type: ignore[union-attr]
    assert f'<a href="{here}?order=desc&amp;limit=2">First page</a>' in after_first


def test_the_tokens_page_pages_its_tokens(container: Container, client: FlaskClient) -> None:
    sign_in(client, container.auth.create(Scope.ADMIN, "the admin"))
    for n in range(4):
        container.auth.create(Scope.READ, f"reader {n}")
    shown = walk_pages(client, "/tokens?limit=2", re.compile(r"<tr><td><code>([0-9a-f]+)</code>"))
    assert shown == [t.id for t in container.auth.tokens.listed()]


def test_a_subscriptions_health_is_read_from_its_newest_deliveries(
    container: Container, client: FlaskClient
) -> None:
    sign_in(client, container.auth.create(Scope.WRITE, "portal"))
    log = Log(container)
    log.deliver(HEALTH_DELIVERIES + 5)
    log.attempt(log.positions[-1], Status.DELIVERED, 200)
    page = client.get("/subscriptions").text
    assert "success, last day" in page.lower() and "100% of 1" in page
    assert "never" not in page
