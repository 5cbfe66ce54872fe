"""The subscriptions portal on the real app, stores and a real receiver on loopback: subscribe
through the form (the secret shown once), see a delivery arrive in the log and the health say
so, see a failure and its reason, redeliver it, ping and see the answer, pause; a form post
without its CSRF token changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from events.subscription import Filters
from service.app import create_app
from service.auth import Scope
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from tests.conftest import auth
from tests.eventually import eventually
from tests.factories import development
from tests.integration.test_sessions import csrf_of, sign_in
from tests.webhook_receiver import Receiver


@pytest.fixture
def served(settings: Settings) -> Iterator[Container]:
    built = bootstrap(
        settings.replace(webhook_allowed_networks=("127.0.0.0/8",), retry_schedule=("0s",))
    )
    built.follow_log()
    yield built
    built.close()


def test_subscribe_see_deliveries_fail_redeliver_ping_and_pause(served: Container) -> None:
    receiver = Receiver(statuses=[200, 500]).start()
    try:
        client: FlaskClient = create_app(served).test_client()
        sign_in(client, served.auth.create(Scope.WRITE))
        page = client.get("/subscriptions").text
        made = client.post(
            "/subscriptions",
            data={"url": receiver.url, "types": "meeting.*", "csrf_token": csrf_of(page)},
        )
        assert made.status_code == 201 and 'data-testid="secret"' in made.text
        (subscription,) = served.subscriptions.all()
        assert subscription.secret in made.text
        assert subscription.secret not in client.get("/subscriptions").text, "shown once"
        here = f"/subscriptions/{subscription.id}"
        for n in (1, 2):
            posted = client.post(
                "/v1/events",
                json=development("meeting.held", f"meeting:portal-{n}"),
                headers=auth(),
            )
            assert posted.status_code == 201, posted.text
        eventually(lambda: 'data-testid="delivery-failed"' in client.get(here).text, timeout=20)
        detail = client.get(here).text
        assert 'data-testid="delivery-delivered"' in detail
        assert "500" in re.search(r'data-testid="why">([^<]*)<', detail).group(1), detail[:3000]  # type: ignore[union-attr]
        assert "50% of 2" in client.get("/subscriptions").text
        failed_only = client.get(f"{here}?status=failed").text
        assert failed_only.count('data-testid="delivery-') == 1
        assert client.get(f"{here}?status=bogus").status_code == 422
        redo = client.post(
            re.search(r'action="(/deliveries/[^"]+/redeliver)"', failed_only).group(1),  # type: ignore[union-attr]
            data={"csrf_token": csrf_of(failed_only), "subscription": subscription.id},
        )
        assert redo.status_code == 303
        eventually(lambda: 'data-testid="delivery-failed"' not in client.get(here).text, timeout=20)
        pinged = client.post(f"{here}/ping", data={"csrf_token": csrf_of(detail)})
        assert "the endpoint answered 200" in pinged.text
        assert client.post(f"{here}/pause").status_code == 403, "no CSRF token"
        assert served.subscriptions.get(subscription.id).status == "active"
        assert client.post(f"{here}/pause", data={"csrf_token": csrf_of(detail)}).status_code == 303
        assert served.subscriptions.get(subscription.id).status == "paused"
    finally:
        receiver.stop()


def test_an_unsafe_or_invalid_endpoint_is_shown_beside_its_field(served: Container) -> None:
    client = create_app(served).test_client()
    sign_in(client, served.auth.create(Scope.WRITE))
    page = client.get("/subscriptions").text
    answer = client.post(
        "/subscriptions",
        data={"url": "http://169.254.169.254/", "types": "nope", "csrf_token": csrf_of(page)},
    )
    assert answer.status_code == 422
    assert 'data-testid="problem-types"' in answer.text
    assert served.subscriptions.all() == []
    reader = create_app(served).test_client()
    sign_in(reader, served.auth.create(Scope.READ))
    assert reader.get("/subscriptions").status_code == 403


def test_the_filters_take_groupings_and_a_checkbox_adds_each_country_s(served: Container) -> None:
    """Plain form posts, as a browser without JavaScript sends them: a ticked checkbox is
    sent as its value, an unticked one not at all."""
    client = create_app(served).test_client()
    sign_in(client, served.auth.create(Scope.WRITE))
    page = client.get("/subscriptions").text
    assert 'name="include_groupings" value="true"' in page
    made = client.post(
        "/subscriptions",
        data={
            "url": "http://127.0.0.1:9/hook",
            "parties": "IN\nQUAD",
            "include_groupings": "true",
            "csrf_token": csrf_of(page),
        },
    )
    assert made.status_code == 201, made.text
    (subscription,) = served.subscriptions.all()
    assert subscription.matcher == Filters((), ("IND", "QUAD"), (), include_groupings=True)
    here = f"/subscriptions/{subscription.id}"
    detail = client.get(here).text
    assert re.search(r'<input type="checkbox"[^>]*name="include_groupings"[^>]* checked', detail)
    assert "with the groupings each belonged to then" in detail
    unticked = client.post(
        f"{here}/edit",
        data={"url": subscription.url, "parties": "IND", "csrf_token": csrf_of(detail)},
    )
    assert unticked.status_code == 303
    assert served.subscriptions.get(subscription.id).matcher == Filters((), ("IND",), ())
    detail = client.get(here).text
    assert not re.search(r'name="include_groupings"[^>]* checked', detail)
    alone = client.post(
        f"{here}/edit",
        data={"url": subscription.url, "include_groupings": "true", "csrf_token": csrf_of(detail)},
    )
    assert alone.status_code == 422
    assert 'data-testid="problem-include_groupings"' in alone.text
    assert served.subscriptions.get(subscription.id).matcher == Filters((), ("IND",), ())
    refused = client.post(
        "/subscriptions",
        data={
            "url": "http://127.0.0.1:9/hook",
            "include_groupings": "true",
            "csrf_token": csrf_of(page),
        },
    )
    assert refused.status_code == 422
    assert 'data-testid="problem-include_groupings"' in refused.text
    assert re.search(r'name="include_groupings"[^>]* checked', refused.text), "kept as sent"
    assert len(served.subscriptions.all()) == 1
