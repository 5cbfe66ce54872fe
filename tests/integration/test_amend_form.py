"""Correcting and retracting from a subject's page, on the real app and stores with the example
data: the correction form is pre-filled and sends only what changed, with a reason; the page
then shows the old date and the new; a retraction strikes the development through; a reason
left out is shown beside its field and nothing is recorded."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from service.auth import Scope
from service.bootstrap import Container
from tests.integration.test_record_form import KEY
from tests.integration.test_sessions import csrf_of, sign_in

MEETING_LINK = re.compile(r'href="/correct/([0-9a-f-]{36})"')


def form_fields(page: str, **fields: str) -> dict[str, str]:
    key = KEY.search(page)
    assert key
    return {"csrf_token": csrf_of(page), "idempotency_key": key.group(1), **fields}


def test_correct_a_date_and_see_both_then_retract(
    own_client: FlaskClient, examples: Container
) -> None:
    subject = "/subjects/agreement:jpn-aus-raa"
    assert 'data-testid="correct"' not in own_client.get(subject).text, "not offered anonymously"
    sign_in(own_client, examples.auth.create(Scope.WRITE))
    page = own_client.get(subject).text
    event_id = MEETING_LINK.findall(page)[-1]
    form = own_client.get(f"/correct/{event_id}").text
    occurred = re.search(r'id="a-occurred" name="occurred" value="([^"]*)"', form).group(1)  # type: ignore[union-attr]
    assert occurred, "pre-filled"
    title = re.search(r'id="a-title" name="title" value="([^"]*)"', form).group(1)  # type: ignore[union-attr]
    missing = own_client.post(
        f"/correct/{event_id}",
        data=form_fields(form, occurred="2030-01-02", title=title, source="https://example.org/a"),
    )
    assert missing.status_code == 422 and 'data-testid="problem-reason"' in missing.text
    done = own_client.post(
        f"/correct/{event_id}",
        data=form_fields(
            form,
            occurred="2030-01-02",
            title=title,
            reason="The date was wrong.",
            source="https://example.org/a",
        ),
    )
    assert done.status_code == 303, done.text
    (correction,) = [
        e
        for e in examples.record.subject("agreement:jpn-aus-raa", None).events
        if e["type"] == "development.corrected" and e["data"]["target"] == event_id
    ]
    assert correction["data"]["changes"] == {"occurred": "2030-01-02"}, "only what changed"
    shown = own_client.get(subject).text
    assert "2030-01-02" in shown and occurred in shown
    retract_form = own_client.get(f"/retract/{event_id}").text
    retracted = own_client.post(
        f"/retract/{event_id}",
        data=form_fields(retract_form, reason="Never happened.", source="https://example.org/b"),
    )
    assert retracted.status_code == 303
    assert "Never happened." in own_client.get(subject).text
    assert own_client.get("/correct/not-an-id").status_code == 404
