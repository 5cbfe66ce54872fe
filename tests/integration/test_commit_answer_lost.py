"""A write whose COMMIT reached PostgreSQL but whose answer was lost on the way back (the server
stopped, the network dropped) is committed, and nobody was told. The record asks the store
whether it was before answering: committed is a success, not committed is "nothing was
written", and a store still away is "outcome unknown" naming the event ids to look for; never
"nothing was written" for a write that is in the log.

PostgreSQL only: a loss between the commit and its answer needs a network between them (an
embedded SQLite file commits in the caller's own process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from events.errors import STORE_UNAVAILABLE, CommitOutcomeUnknown
from events.queries import EventFilter
from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from service.app import create_app
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from tests.conftest import ADMIN_TOKEN, auth, postgres_url_for
from tests.eventually import eventually
from tests.factories import development
from tests.lossy_proxy import LossyProxy, lossy_proxy


@pytest.fixture
def proxy(postgres_schema: str) -> Iterator[LossyProxy]:
    with lossy_proxy(postgres_url_for(postgres_schema)) as started:
        yield started


@pytest.fixture
def container(proxy: LossyProxy, tmp_path: Any) -> Iterator[Container]:
    settings = Settings(
        database_url=proxy.url,
        data_dir=str(tmp_path / "data"),
        api_token=ADMIN_TOKEN,
        store_timeout=1.0,
    )
    built = bootstrap(settings)
    yield built
    built.close()


def postings(*subjects: str) -> list[Posting]:
    return [Posting(DevelopmentSchema().load(development("meeting.held", s))) for s in subjects]


def logged(container: Container) -> list[str]:
    return [e["subject"] for e in container.record.events_after(0, 100, EventFilter()).items]


def test_a_commit_whose_answer_was_lost_is_answered_as_the_success_it_was(
    container: Container, proxy: LossyProxy
):
    container.record.append(postings("meeting:before"))
    proxy.lose_next_commit_answers()

    appended = container.record.append(postings("meeting:answer-lost", "meeting:with-it"))

    assert proxy.commits_lost == 1
    assert [e["subject"] for e in appended.events] == ["meeting:answer-lost", "meeting:with-it"]
    assert [container.record.event(e["id"]) for e in appended.events] == appended.events
    assert logged(container) == ["meeting:before", "meeting:answer-lost", "meeting:with-it"]


def test_with_the_store_still_away_the_answer_names_the_events_that_may_be_written(
    container: Container, proxy: LossyProxy
):
    container.record.append(postings("meeting:before"))
    proxy.lose_next_commit_answers(then_go_away=True)  # no connection to ask the store with

    with pytest.raises(CommitOutcomeUnknown) as unknown:
        container.record.append(postings("meeting:answer-lost"))

    proxy.come_back()
    (event_id,) = unknown.value.event_ids
    container.record.index.drop_broken_connections()
    assert container.record.event(event_id)["subject"] == "meeting:answer-lost"
    assert logged(container) == ["meeting:before", "meeting:answer-lost"]


def test_a_connection_lost_before_the_commit_is_answered_nothing_written(
    container: Container, proxy: LossyProxy
):
    container.record.append(postings("meeting:before"))
    proxy.cut_at_next(b"meeting:refused")

    with pytest.raises(STORE_UNAVAILABLE) as refused:
        container.record.append(postings("meeting:refused"))

    assert not isinstance(refused.value, CommitOutcomeUnknown)
    assert logged(container) == ["meeting:before"]


def test_the_api_answers_outcome_unknown_with_the_event_ids_and_retry_after(
    container: Container, proxy: LossyProxy
):
    client = create_app(container).test_client()
    proxy.lose_next_commit_answers(then_go_away=True)

    answer = client.post(
        "/v1/events", json=development("meeting.held", "meeting:api"), headers=auth()
    )

    proxy.come_back()
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "2"
    problem = answer.get_json()
    assert problem["type"] == "/problems/commit-outcome-unknown"
    assert "may have been recorded" in problem["detail"]
    (event_id,) = problem["event_ids"]
    found = eventually(
        lambda: client.get(f"/v1/events/{event_id}", headers=auth()).status_code == 200
    )
    assert found
