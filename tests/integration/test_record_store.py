"""The record on a real store of each kind: appends, conflicts, idempotency, reading back."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg.sql
import pytest

from events.errors import DevelopmentRejected, IdempotencyKeyReused, VersionConflict
from events.queries import EventFilter
from events.record import Posting, Record
from events.schemas.envelope import DevelopmentSchema, ImportedEventSchema
from service.bootstrap import Container
from tests.eventually import eventually
from tests.factories import NEWS_TYPES, correction, development, retraction


def posting(body: dict[str, Any], expected: int | None = None) -> Posting:
    return Posting(DevelopmentSchema().load(body), expected)


def append(record: Record, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return record.append([posting(body)], **kwargs).events[0]


def test_every_type_is_stored_with_id_position_version_and_recorded_at(container: Container):
    record = container.record
    stored = [append(record, development(t)) for t in NEWS_TYPES]
    assert [e["position"] for e in stored] == sorted({e["position"] for e in stored})
    assert all(e["version"] == 1 and e["recorded_at"].endswith("Z") for e in stored)
    assert [record.event(e["id"]) for e in stored] == stored


def test_versions_count_up_within_a_subject(container: Container):
    first = append(container.record, development("agreement.signed", "agreement:raa"))
    second = append(container.record, development("agreement.ratified", "agreement:raa"))
    assert (first["version"], second["version"]) == (1, 2)
    assert second["position"] > first["position"]


def test_an_idempotency_key_stores_one_event_and_gives_the_first_answer_again(container: Container):
    record = container.record
    body = development("deal.clinched")
    first = record.append([posting(body)], "key-1")
    again = record.append([posting(body)], "key-1")
    assert again.replayed and again.events == first.events
    assert record.max_position() == first.events[0]["position"]


def test_an_idempotency_key_with_another_body_is_refused_and_changes_nothing(container: Container):
    record = container.record
    record.append([posting(development("deal.clinched"))], "key-1")
    before = record.max_position()
    with pytest.raises(IdempotencyKeyReused):
        record.append([posting(development("deal.clinched", title="Another"))], "key-1")
    assert record.max_position() == before


def test_an_expected_version_that_is_stale_is_a_conflict(container: Container):
    record = container.record
    append(record, development("agreement.signed", "agreement:raa"))
    with pytest.raises(VersionConflict) as conflict:
        record.append([posting(development("agreement.ratified", "agreement:raa"), 0)])
    assert (conflict.value.expected, conflict.value.actual) == (0, 1)


def test_of_two_concurrent_writers_at_one_version_exactly_one_wins(container: Container):
    record = container.record
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def write(title: str) -> None:
        barrier.wait()
        try:
            record.append([posting(development("meeting.held", "meeting:race", title=title), 0)])
            outcomes.append("stored")
        except VersionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(t,)) for t in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "stored"]
    assert record.subject("meeting:race").version == 1


def test_concurrent_writers_without_expectations_all_land_in_order(container: Container):
    record = container.record
    append(record, development("deal.clinched", "deal:busy"))

    def write(n: int) -> None:
        append(record, development("deal.updated", "deal:busy", title=f"update {n}"))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = record.subject("deal:busy")
    assert [e["version"] for e in history.events] == list(range(1, 8))
    positions = [e["position"] for e in history.events]
    assert positions == sorted(positions)


def test_a_batch_with_one_bad_item_stores_nothing(container: Container):
    record = container.record
    good = posting(development("meeting.held"))
    orphan = posting(
        correction("deal:none", "00000000-0000-4000-8000-000000000000", {"title": "x"})
    )
    with pytest.raises(DevelopmentRejected) as rejected:
        record.append([good, orphan], batch=True)
    assert "events.1.data.target" in rejected.value.problems
    assert record.max_position() == 0


def test_a_batch_may_open_a_subject_and_extend_it(container: Container):
    record = container.record
    bodies = [
        development("agreement.signed", "agreement:x"),
        development("agreement.ratified", "agreement:x"),
    ]
    stored = record.append([posting(b) for b in bodies], batch=True).events
    assert [e["version"] for e in stored] == [1, 2]


def test_a_correction_changes_the_state_but_not_the_original_event(container: Container):
    record = container.record
    signed = append(record, development("agreement.signed", "agreement:raa", occurred="2023"))
    append(
        record,
        correction(
            "agreement:raa", signed["id"], {"occurred": "2022-01-06", "parties": ["JP", "AU"]}
        ),
    )
    history = record.subject("agreement:raa")
    assert history.state["developments"][0]["occurred"] == "2022-01-06"
    assert history.events[1]["data"]["changes"] == {
        "occurred": "2022-01-06",
        "parties": ["JPN", "AUS"],
    }
    assert record.event(signed["id"])["occurred"] == "2023"


def test_a_correction_that_would_make_the_target_invalid_is_refused(container: Container):
    record = container.record
    signed = append(record, development("agreement.signed", "agreement:raa"))
    with pytest.raises(DevelopmentRejected) as rejected:
        append(
            record,
            correction(
                "agreement:raa", signed["id"], {"data.legally_binding": "yes", "title": None}
            ),
        )
    assert set(rejected.value.problems) == {
        "data.changes.data.legally_binding",
        "data.changes.title",
    }
    assert record.max_position() == signed["position"]


def test_a_retracted_event_cannot_be_corrected(container: Container):
    record = container.record
    signed = append(record, development("agreement.signed", "agreement:raa"))
    append(record, retraction("agreement:raa", signed["id"]))
    with pytest.raises(DevelopmentRejected) as rejected:
        append(record, correction("agreement:raa", signed["id"], {"title": "New"}))
    assert "data.target" in rejected.value.problems
    assert record.subject("agreement:raa").state["retracted"] == [signed["id"]]


def test_a_correction_must_name_an_event_of_the_same_subject(container: Container):
    record = container.record
    other = append(record, development("deal.clinched", "deal:one"))
    append(record, development("deal.clinched", "deal:two"))
    with pytest.raises(DevelopmentRejected):
        append(record, correction("deal:two", other["id"], {"title": "x"}))


def test_listing_filters_by_type_party_and_subject_and_pages_by_position(container: Container):
    record = container.record
    append(record, development("deal.clinched", "deal:a"))
    append(
        record,
        development(
            "meeting.held",
            "meeting:b",
            parties=["USA", "JPN"],
            data={
                "format": "summit",
                "virtual": True,
                "participants": [{"name": "A", "post": "President", "party": "USA"}],
            },
        ),
    )
    append(record, development("deal.updated", "deal:a"))
    deals = record.events_after(0, 10, EventFilter(types=("deal.*",)))
    assert [e["type"] for e in deals.items] == ["deal.clinched", "deal.updated"]
    assert [e["subject"] for e in record.events_after(0, 10, EventFilter(party="USA")).items] == [
        "meeting:b"
    ]
    first = record.events_after(0, 1, EventFilter(subject="deal:a"))
    rest = record.events_after(first.next_after, 10, EventFilter(subject="deal:a"))
    assert [e["version"] for e in first.items + rest.items] == [1, 2]
    everything = record.events_after(0, 2, EventFilter())
    assert [e["position"] for e in everything.items] == [
        1,
        2,
    ] or everything.next_after == everything.items[-1]["position"]


def test_export_then_restore_into_an_empty_store_gives_the_same_export(
    container: Container, tmp_path
):
    from service.bootstrap import bootstrap
    from service.settings import Settings

    record = container.record
    signed = append(record, development("agreement.signed", "agreement:raa"))
    append(record, correction("agreement:raa", signed["id"], {"occurred": "2022-01-06"}))
    append(record, development("deal.clinched"), idempotency_key="k")
    exported = list(record.export())
    lines = [ImportedEventSchema().load(e) for e in exported]
    target = bootstrap(
        Settings(database_url=f"sqlite:///{tmp_path / 'copy.db'}", data_dir=str(tmp_path))
    )
    try:
        assert target.record.restore(lines) == 3
        assert target.record.restore(lines) == 0
        assert list(target.record.export()) == exported
    finally:
        target.close()


def test_a_batch_keeps_its_order_in_the_log_across_subjects(container: Container):
    record = container.record
    bodies = [
        development("deal.clinched", "deal:a"),
        development("meeting.held", "meeting:b"),
        development("deal.updated", "deal:a"),
    ]
    stored = record.append([posting(b) for b in bodies], batch=True).events
    assert [e["subject"] for e in stored] == ["deal:a", "meeting:b", "deal:a"]
    assert [e["position"] for e in stored] == sorted(e["position"] for e in stored)
    listed = record.events_after(0, 10, EventFilter()).items
    assert [e["subject"] for e in listed] == ["deal:a", "meeting:b", "deal:a"]


def test_restoring_a_file_without_positions_keeps_the_file_order(container: Container):
    lines = [
        {
            **development("agreement.signed", "agreement:x"),
            "id": "11111111-1111-4111-8111-111111111111",
            "recorded_at": "2025-01-01T00:00:00Z",
        },
        {
            **development("meeting.held", "meeting:y"),
            "id": "22222222-2222-4222-8222-222222222222",
            "recorded_at": "2025-01-02T00:00:00Z",
        },
        {
            **development("agreement.ratified", "agreement:x"),
            "id": "33333333-3333-4333-8333-333333333333",
            "recorded_at": "2025-01-03T00:00:00Z",
        },
    ]
    assert container.record.restore([ImportedEventSchema().load(line) for line in lines]) == 3
    exported = list(container.record.export())
    assert [e["id"][0] for e in exported] == ["1", "2", "3"]
    assert [e["recorded_at"] for e in exported] == [line["recorded_at"] for line in lines]


def test_concurrent_appends_sharing_transactions_each_keep_their_own_outcome(
    container: Container,
):
    """New subjects, one idempotency key sent five times, and five writers expecting the same
    version of one subject, all at once: group commit may put any of them in one transaction,
    yet each request gets the answer it would have got alone."""
    record = container.record
    body = development("deal.clinched", "deal:keyed")
    requests: list[tuple[str, Any]] = (
        [("new", development("meeting.held", f"meeting:new-{n}")) for n in range(20)]
        + [("keyed", body)] * 5
        + [("race", development("meeting.held", "meeting:race", title=f"t{n}")) for n in range(5)]
    )
    outcomes: list[tuple[str, Any]] = []
    barrier = threading.Barrier(len(requests))

    def send(kind: str, sent: dict[str, Any]) -> None:
        barrier.wait()
        try:
            if kind == "keyed":
                outcomes.append((kind, record.append([posting(sent)], "same-key").events[0]))
            elif kind == "race":
                outcomes.append((kind, record.append([posting(sent, 0)]).events[0]))
            else:
                outcomes.append((kind, append(record, sent)))
        except VersionConflict as conflict:
            outcomes.append(("conflict", conflict.actual))

    threads = [threading.Thread(target=send, args=r) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["conflict"] * 4 + ["keyed"] * 5 + ["new"] * 20 + ["race"]
    assert {o for kind, o in outcomes if kind == "conflict"} == {1}
    keyed = [o for kind, o in outcomes if kind == "keyed"]
    assert all(o == keyed[0] for o in keyed)
    assert record.subject("deal:keyed").version == 1
    assert record.subject("meeting:race").version == 1
    positions = [o["position"] for kind, o in outcomes if kind != "conflict"]
    assert sorted(set(positions)) == [e["position"] for e in record.export()]  # nothing else


def test_an_import_in_batches_folds_each_subject_as_a_fresh_reader_does(
    container: Container, settings
):
    """An import keeps the subjects it saved for its next batch (corrections and retractions
    included): each subject then stands as a process that folds it from the store sees it,
    and a second import of the same lines holds them all."""
    from service.bootstrap import bootstrap
    from tests.history import generated_lines

    lines = list(generated_lines(600, seed=11))
    for start in range(0, len(lines), 50):
        assert container.record.restore(lines[start : start + 50]) == len(lines[start : start + 50])
    assert container.record.restore(lines[:300]) == 0
    subjects = sorted({line["subject"] for line in lines})
    fresh = bootstrap(settings)
    try:
        for subject in subjects:
            assert container.record.subject(subject) == fresh.record.subject(subject)
    finally:
        fresh.close()


def test_an_import_sees_a_subject_another_writer_extended_between_its_batches(
    container: Container, settings
):
    """The import kept the agreement at version 1; another process appends version 2; the
    next batch's line at version 3 is accepted (a cache trusted blindly would say 2 and
    refuse the file as out of order), and the log holds all three in order. (Each batch
    names two subjects: an import loads several at once.)"""
    from service.bootstrap import bootstrap

    def line(number: int, kind: str, subject: str, version: int) -> dict[str, Any]:
        return ImportedEventSchema().load(
            {
                **development(kind, subject),
                "id": f"{number:08d}-1111-4111-8111-111111111111",
                "recorded_at": f"2025-01-0{number}T00:00:00Z",
                "version": version,
            }
        )

    first = [line(1, "agreement.signed", "agreement:x", 1), line(2, "meeting.held", "meeting:y", 1)]
    assert container.record.restore(first) == 2
    elsewhere = bootstrap(settings)
    try:
        append(elsewhere.record, development("agreement.ratified", "agreement:x"))
    finally:
        elsewhere.close()
    later = [
        line(3, "agreement.entered_into_force", "agreement:x", 3),
        line(4, "meeting.held", "meeting:y", 2),
    ]
    assert container.record.restore(later) == 2
    history = container.record.subject("agreement:x")
    assert [e["version"] for e in history.events] == [1, 2, 3]


@contextlib.contextmanager
def writer_held(container: Container) -> Iterator[None]:
    """Another connection holds the store's writer (SQLite's write lock, PostgreSQL's lock on
    the log table), so that appends queue behind the one waiting for it."""
    recorder: Any = container.record.recorder
    datastore = recorder.datastore
    if hasattr(datastore, "schema"):  # PostgreSQL
        with datastore.get_connection() as connection, connection.transaction():
            connection.execute(
                psycopg.sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(recorder.events_table)
            )
            yield
    else:
        connection = sqlite3.connect(datastore.pool.db_name, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield
            connection.execute("ROLLBACK")
        finally:
            connection.close()


def in_one_group(container: Container, *appends: Callable[[], Any]) -> list[Any]:
    """Runs a first append while the writer is held, then `appends` queued behind it, so that
    they share the next transaction; returns each one's outcome (its result or its error)."""
    record = container.record
    outcomes: list[Any] = [None] * len(appends)

    def run(number: int, append_: Callable[[], Any]) -> None:
        try:
            outcomes[number] = append_()
        except Exception as error:
            outcomes[number] = error

    groups = record.group_commit.groups
    with writer_held(container):
        first = threading.Thread(target=append, args=(record, development("meeting.held")))
        first.start()
        eventually(lambda: record.group_commit.waiting == 1, message="the first did not lead")
        threads = [threading.Thread(target=run, args=a) for a in enumerate(appends)]
        for number, thread in enumerate(threads):
            thread.start()
            eventually(lambda n=number: record.group_commit.waiting == n + 2, interval=0.005)
    first.join(10)
    for thread in threads:
        thread.join(10)
    assert record.group_commit.groups - groups == 2, "they did not share one group"
    return outcomes


def test_one_clients_bad_request_fails_no_other_clients_write(container: Container):
    """An append whose event cannot be encoded (a lone surrogate in its title, as the boundary
    once let through) shares a transaction with honest appends: only it fails."""
    record = container.record
    poisoned = posting(development("meeting.held", "meeting:poisoned"))
    poisoned.development["title"] = "\ud800"
    honest = [development("meeting.held", f"meeting:honest-{n}") for n in range(5)]
    outcomes = in_one_group(
        container,
        *[functools.partial(append, record, body) for body in honest[:2]],
        functools.partial(record.append, [poisoned]),
        *[functools.partial(append, record, body) for body in honest[2:]],
    )
    failed = outcomes.pop(2)
    assert isinstance(failed, UnicodeError), failed
    assert [o["subject"] for o in outcomes] == [b["subject"] for b in honest]
    assert {e["subject"] for e in record.export()} == {
        "meeting:example-meeting-held",
        *(b["subject"] for b in honest),
    }


def test_appends_to_one_subject_in_one_group_are_staged_one_after_another(
    container: Container,
):
    """Same-subject appends without If-Match share a group and all land, in order; one that
    expects a version gets it as the appends before it in the group left the subject, and one
    refused in the middle leaves the subject as it was before it."""
    record = container.record
    subject = "deal:contended"
    append(record, development("deal.clinched", subject))
    bad_correction = correction(subject, str(uuid.uuid4()), {"title": "Not its event"})

    def update(n: int, expected: int | None = None) -> Callable[[], Any]:
        body = development("deal.updated", subject, title=f"update {n}")
        return lambda: record.append([posting(body, expected)]).events[0]

    outcomes = in_one_group(
        container,
        update(1),
        update(2, expected=2),  # right: the first update made it 2
        lambda: record.append([posting(bad_correction)]),
        update(3, expected=2),  # wrong: it is 3 by now
        update(4),
    )
    assert [o["version"] for o in (outcomes[0], outcomes[1], outcomes[4])] == [2, 3, 4]
    assert isinstance(outcomes[2], DevelopmentRejected)
    assert isinstance(outcomes[3], VersionConflict) and outcomes[3].actual == 3
    history = record.subject(subject)
    assert [e["title"] for e in history.events[1:]] == ["update 1", "update 2", "update 4"]


def test_same_subject_appends_without_if_match_all_land_under_load(container: Container):
    """50 writers on one subject, none expecting a version: every one lands, versions 1..50
    without gaps (before, some got 'Too many concurrent writers')."""
    record = container.record
    barrier = threading.Barrier(50)
    outcomes: list[Any] = []

    def write(n: int) -> None:
        barrier.wait()
        try:
            outcomes.append(
                append(record, development("meeting.held", "meeting:hot", title=f"{n}"))
            )
        except Exception as error:
            outcomes.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(o, dict) for o in outcomes), [
        o for o in outcomes if not isinstance(o, dict)
    ]
    assert sorted(o["version"] for o in outcomes) == list(range(1, 51))
    assert [e["version"] for e in record.subject("meeting:hot").events] == list(range(1, 51))


def imported_line(subject: str, event_id: str, recorded_at: str, **changes: Any) -> dict[str, Any]:
    line = {**development("meeting.held", subject), "id": event_id, "recorded_at": recorded_at}
    return dict(ImportedEventSchema().load({**line, **changes}))


def test_an_import_into_a_non_empty_store_keeps_recorded_at_in_log_order(container: Container):
    record = container.record
    append(record, development("meeting.held", "meeting:live"))  # recorded now
    older = imported_line(
        "meeting:old", "44444444-4444-4444-8444-444444444444", "2025-01-01T00:00:00Z"
    )
    with pytest.raises(DevelopmentRejected) as refused:
        record.restore([older], not_before=record.latest_recorded_at(), numbers=[12])
    assert list(refused.value.problems) == ["line 12.recorded_at"]
    assert record.max_position() == 1
    stamps = [e["recorded_at"] for e in record.export()]
    assert stamps == sorted(stamps)


def test_an_import_line_with_a_known_id_but_other_content_is_refused_naming_it(
    container: Container,
):
    record = container.record
    event_id = "55555555-5555-4555-8555-555555555555"
    line = imported_line("meeting:m", event_id, "2025-01-01T00:00:00Z")
    assert record.restore([line]) == 1
    assert record.restore([line]) == 0, "the same line again is skipped"
    other_title = imported_line("meeting:m", event_id, "2025-01-01T00:00:00Z", title="Other")
    other_subject = imported_line("meeting:n", event_id, "2025-01-01T00:00:00Z")
    other_time = imported_line("meeting:m", event_id, "2025-01-02T00:00:00Z")
    for other, differs in [
        (other_title, "title"),
        (other_subject, "subject"),
        (other_time, "recorded_at"),
    ]:
        with pytest.raises(DevelopmentRejected) as refused:
            record.restore([other])
        assert list(refused.value.problems) == ["line 1.id"]
        assert differs in refused.value.problems["line 1.id"][0]
    assert record.max_position() == 1


def test_an_import_line_repeating_an_id_of_its_batch_with_other_content_is_refused(
    container: Container,
):
    event_id = "66666666-6666-4666-8666-666666666666"
    line = imported_line("meeting:m", event_id, "2025-01-01T00:00:00Z")
    assert container.record.restore([line, line]) == 1, "the same line twice is one event"
    fresh = "77777777-7777-4777-8777-777777777777"
    first = imported_line("meeting:x", fresh, "2025-01-01T00:00:00Z")
    second = imported_line("meeting:x", fresh, "2025-01-01T00:00:00Z", title="Other")
    with pytest.raises(DevelopmentRejected) as refused:
        container.record.restore([first, second])
    assert list(refused.value.problems) == ["line 2.id"]
    assert "Line 1" in refused.value.problems["line 2.id"][0]
    assert container.record.max_position() == 1
