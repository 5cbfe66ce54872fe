"""The views on both stores: the example data's answers, time travel, live equals replay."""

from __future__ import annotations

import datetime as dt
import gc
import json
from pathlib import Path
from typing import Any

import pytest

from events.record import Posting
from events.schemas.envelope import DevelopmentSchema, ImportedEventSchema
from events.values.parties import is_country
from projections.activity import activity, period_of
from projections.catalog import Generations
from projections.countries import country
from projections.facts import Moment, micros
from projections.reader import ViewReader
from projections.rebuild import rebuild
from projections.recorder import COLUMNS
from projections.registry import VIEWS
from projections.relationships import relationship
from projections.runner import ReadAhead, ViewRunner
from service.bootstrap import Container, bootstrap
from tests.conftest import EXAMPLES
from tests.eventually import eventually
from tests.factories import correction, development, retraction
from tests.history import HistoryGenerator, fill, generated_lines


def load_examples(container: Container) -> None:
    lines = [
        ImportedEventSchema().load(json.loads(t)) for t in Path(EXAMPLES).read_text().splitlines()
    ]
    container.record.restore(lines)


def catch_up(container: Container) -> ViewRunner:
    runner = ViewRunner(container.record, list(VIEWS.values()))
    runner.catch_up()
    return runner


def append(container: Container, body: dict[str, Any]) -> dict[str, Any]:
    return container.record.append([Posting(DevelopmentSchema().load(body))]).events[0]


def agreement(found: dict[str, Any], subject: str) -> dict[str, Any]:
    return next(a for a in found["agreements"] if a["subject"] == subject)


@pytest.fixture
def examples(container: Container) -> Container:
    load_examples(container)
    catch_up(container)
    return container


def test_the_relationship_shows_agreements_deal_and_meeting_from_the_example_data(examples):
    found = relationship(examples.views, "AUS", "JPN", Moment())
    raa = agreement(found, "agreement:jpn-aus-raa")
    assert raa["status"] == "in_force"
    assert raa["entered_into_force"] == "2023-08-13"
    assert raa["signed"] == "2022-01-06"
    declaration = agreement(found, "agreement:jpn-aus-security-declaration-2022")
    assert (declaration["status"], declaration["legally_binding"]) == ("signed", False)
    assert declaration["builds_on"] == "agreement:jpn-aus-security-declaration-2007"
    deal = next(
        d for d in found["deals"]["items"] if d["subject"] == "deal:aus-general-purpose-frigate"
    )
    assert deal["stage"] == "preferred_bidder_selected"
    assert found["deals"]["totals"]["AUD"]["amount"] == "10000000000.00"
    assert found["deals"]["totals"]["AUD"]["qualifier"] == "up_to"
    meeting = found["meetings"][0]
    assert (meeting["occurred"], meeting["format"], meeting["sequence"]) == (
        "2025-09-05",
        "two_plus_two",
        12,
    )
    assert {p["name"] for p in meeting["participants"]} == {
        "Takeshi Iwaya",
        "Gen Nakatani",
        "Penny Wong",
        "Richard Marles",
    }
    assert relationship(examples.views, "JPN", "AUS", Moment()) == found


def test_as_of_shows_the_agreement_signed_before_entry_into_force_and_in_force_after(examples):
    before = agreement(
        relationship(examples.views, "AUS", "JPN", Moment(as_of="2023-08-10")),
        "agreement:jpn-aus-raa",
    )
    after = agreement(
        relationship(examples.views, "AUS", "JPN", Moment(as_of="2023-08-14")),
        "agreement:jpn-aus-raa",
    )
    assert before["status"] == "ratified" or before["parties"]["AUS"]["status"] == "signed"
    assert "entered_into_force" not in before
    assert after["status"] == "in_force"


def test_known_at_before_the_correction_shows_the_uncorrected_date(examples):
    correction_recorded = dt.datetime(2025, 10, 1, 9, 6, tzinfo=dt.UTC)
    before = relationship(
        examples.views,
        "AUS",
        "JPN",
        Moment(known_at=micros(correction_recorded - dt.timedelta(seconds=1))),
    )
    after = relationship(examples.views, "AUS", "JPN", Moment(known_at=micros(correction_recorded)))
    assert agreement(before, "agreement:jpn-aus-raa")["signed"] == "2023"
    assert agreement(after, "agreement:jpn-aus-raa")["signed"] == "2022-01-06"


def test_a_retraction_removes_the_development_from_every_view(container: Container):
    signed = append(container, development("agreement.signed", "agreement:x"))
    catch_up(container)
    assert relationship(container.views, "AUS", "JPN", Moment())["developments"] == 1
    append(container, retraction("agreement:x", signed["id"]))
    catch_up(container)
    assert relationship(container.views, "AUS", "JPN", Moment())["developments"] == 0
    assert container.views.view("timeline").select(Moment(), keys=["*"]) == []


def test_a_correction_of_parties_moves_the_development_to_the_new_pair(container: Container):
    held = append(container, development("exercise.conducted", "exercise:x"))
    append(
        container,
        correction(
            "exercise:x",
            held["id"],
            {
                "parties": ["AUS", "NZL"],
                "data.participants": [{"party": "AUS"}, {"party": "NZL"}],
            },
        ),
    )
    catch_up(container)
    assert relationship(container.views, "AUS", "JPN", Moment())["developments"] == 0
    assert relationship(container.views, "AUS", "NZL", Moment())["exercises"][0]["id"] == held["id"]


def test_views_built_live_while_appending_equal_a_replay_from_scratch(container: Container):
    runner = ViewRunner(container.record, list(VIEWS.values()), poll_seconds=0.05).start()
    generator = HistoryGenerator(seed=11)
    try:
        for _ in range(100):
            bodies = list(generator.developments(100))
            stored = container.record.append(
                [Posting(DevelopmentSchema().load(b)) for b in bodies], batch=True
            ).events
            for event in stored:
                generator.remember(event)
        head = container.record.max_position()
        assert container.views.wait_for(list(VIEWS), head, timeout=60)
    finally:
        runner.stop()
    live = {name: _rows(container, name) for name in VIEWS}
    for name in VIEWS:
        generation = container.views.catalog.begin_rebuild(name)
        rebuilder = ViewRunner(container.record, [VIEWS[name]], generation=generation)
        assert rebuild(container.views.catalog, rebuilder, name)
        assert container.views.catalog.generations(name).active == generation
        assert _rows(container, name) == live[name], name
    assert len(live["timeline"]) > 10_000


def test_two_runners_never_apply_an_event_twice(container: Container):
    for n in range(50):
        append(container, development("meeting.held", f"meeting:m{n}"))
    first = ViewRunner(container.record, list(VIEWS.values()), batch_size=7)
    second = ViewRunner(container.record, list(VIEWS.values()), batch_size=5)
    while first.run_batch() + second.run_batch():
        pass
    rows = container.views.view("timeline").select(Moment(), keys=["*"])
    assert len(rows) == len({r.event_id for r in rows}) == 50


def _rows(container: Container, name: str) -> list[tuple[Any, ...]]:
    table = container.views.view(name).table
    return sorted(container.views.database.query(f"SELECT {', '.join(COLUMNS)} FROM {table}"))


def _indexes(container: Container, table: str) -> set[str]:
    database = container.views.database
    if database.is_postgres:
        rows = database.query(
            "SELECT indexname FROM pg_indexes WHERE schemaname = ? AND tablename = ?",
            (database.schema, table),
        )
    else:
        rows = database.query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
        )
    return {str(r[0]) for r in rows if not str(r[0]).startswith("sqlite_autoindex")}


def test_a_store_of_an_earlier_release_gets_the_current_row_indexes_at_start(settings):
    """Reads of a long history use partial indexes of current rows; a store whose views an
    earlier release made (one index on row_key, valid_to) gets them when the service starts."""
    table = "view_relationships_1"
    first = bootstrap(settings)
    database = first.views.database
    with database.transaction() as cursor:
        for suffix in ("key_from", "latest", "detail", "types", "tally", "ended"):
            cursor.execute(f"DROP INDEX {database.table(f'{table}_{suffix}')}")
        cursor.execute(f'CREATE INDEX "{table}_key" ON {database.table(table)} (row_key, valid_to)')
    assert _indexes(first, table) == {f"{table}_event", f"{table}_key"}
    append(first, development("meeting.held", "meeting:m"))
    catch_up(first)
    with database.transaction() as cursor:  # that release kept no versions of keys
        cursor.execute(f"DELETE FROM {database.table('view_key_versions')}")
    first.close()
    again = bootstrap(settings)
    try:
        versions = again.views.view("relationships").versions()
        assert versions == {"AUS-JPN": 1}  # the view's position when the keys were found
        before = relationship(again.views, "AUS", "JPN", Moment())
        append(again, development("meeting.held", "meeting:m", title="Again"))
        catch_up(again)
        assert relationship(again.views, "AUS", "JPN", Moment())["developments"] == 2
        assert before["developments"] == 1
        assert _indexes(again, table) == {
            f"{table}_{suffix}"
            for suffix in ("event", "key_from", "latest", "detail", "types", "tally", "ended")
        }
    finally:
        again.close()


def test_a_store_of_the_earlier_layout_lets_go_of_the_rows_of_views_that_now_read_others(
    settings,
):
    """An earlier release kept rows of its own for activity, countries and search; a start
    lets go of them (and their keys' versions), and the answers are the same."""
    first = bootstrap(settings)
    append(first, development("meeting.held", "meeting:m"))
    catch_up(first)
    answers = (country(first.views, "AUS", Moment()), activity(first.views, Moment()))
    database = first.views.database
    table = database.table("view_countries_1")
    versions = database.table("view_key_versions")
    with database.transaction() as cursor:  # what that release wrote for one development
        cursor.insert(
            table,
            COLUMNS,
            [
                (
                    "e1",
                    "AUS",
                    "JPN",
                    "meeting:m",
                    "meeting.held",
                    1,
                    1,
                    0,
                    1,
                    "2024-01-01",
                    "2024-01-01",
                    0,
                    None,
                )
            ],
        )
        cursor.execute(
            f"INSERT INTO {versions} (view, generation, row_key, version) VALUES (?, ?, ?, ?)",
            ("countries", 1, "AUS", 1),
        )
    first.close()
    again = bootstrap(settings)
    try:
        assert again.views.database.query(f"SELECT COUNT(*) FROM {table}") == [(0,)]
        assert again.views.view("countries").versions() == {}
        assert (country(again.views, "AUS", Moment()), activity(again.views, Moment())) == answers
        assert answers[0]["partners"][0]["code"] == "JPN"
    finally:
        again.close()


def test_a_remembered_agreement_or_deal_state_is_folded_again_whenever_its_rows_change(
    container: Container,
):
    """Current states are kept between reads; after each kind of change (a new step, a
    correction, a retraction, a new subject) the answer equals one folded from scratch."""

    def read() -> dict[str, Any]:
        return relationship(container.views, "AUS", "JPN", Moment())

    def from_scratch() -> dict[str, Any]:
        return relationship(
            ViewReader(container.views.database, container.record.developments_at),
            "AUS",
            "JPN",
            Moment(),
        )

    signed = append(container, development("agreement.signed", "agreement:raa"))
    append(container, development("deal.clinched", "deal:frigates"))
    changes = [
        development("agreement.ratified", "agreement:raa"),
        correction("agreement:raa", signed["id"], {"occurred": "2022-01-09"}),
        development("deal.updated", "deal:frigates"),
        development("agreement.signed", "agreement:second"),
        # A step naming one party: no row of the pair changes, the agreement's state does.
        development(
            "agreement.entered_into_force",
            "agreement:raa",
            parties=["JPN"],
            data={"parties": ["JPN"]},
        ),
    ]
    catch_up(container)
    seen = [read()]
    for change in changes:
        append(container, change)
        catch_up(container)
        seen.append(read())
        assert seen[-1] == from_scratch()
        assert seen[-1] != seen[-2]
    ratified = next(
        e
        for e in container.record.subject("agreement:raa").events
        if e["type"] == "agreement.ratified"
    )
    append(container, retraction("agreement:raa", ratified["id"]))
    catch_up(container)
    assert read() == from_scratch()
    assert agreement(read(), "agreement:raa")["status"] == "partly_in_force"
    assert agreement(read(), "agreement:raa")["signed"] == "2022-01-09"


def test_a_country_answer_is_kept_until_a_development_naming_the_country_lands(
    container: Container,
):
    """After each kind of change (a new development, a correction, a retraction) the answer
    equals one counted afresh; a development naming other countries leaves it as it was."""

    def read() -> dict[str, Any]:
        return country(container.views, "AUS", Moment())

    def afresh() -> dict[str, Any]:
        reader = ViewReader(container.views.database, container.record.developments_at)
        return country(reader, "AUS", Moment())

    append(container, development("agreement.signed", "agreement:raa"))
    catch_up(container)
    seen = [read()]
    append(container, development("statement.issued", "statement:us", parties=["JPN", "USA"]))
    catch_up(container)
    assert read() is seen[0]
    meeting = append(container, development("meeting.held", "meeting:summit"))
    for change in (
        None,
        correction("meeting:summit", meeting["id"], {"occurred": "2024-02-01"}),
        retraction("meeting:summit", meeting["id"]),
    ):
        if change is not None:
            append(container, change)
        catch_up(container)
        seen.append(read())
        assert seen[-1] == afresh()
        assert seen[-1] != seen[-2]
    assert seen[-1]["developments"] == 1


def _country_from_rows(container: Container, code: str, moment: Moment) -> dict[str, Any]:
    """A country's counts worked out development by development, from the parties of each
    (how the view once answered, before the store counted rows of other views)."""
    counts: dict[str, int] = {}
    partners: dict[str, dict[str, Any]] = {}
    for row in container.views.view("timeline").select(moment, keys=[code]):
        counts[row.type] = counts.get(row.type, 0) + 1
        for other in row.body["parties"]:
            if other != code and is_country(other) and is_country(code):
                partner = partners.setdefault(other, {"developments": 0, "last": ""})
                partner["developments"] += 1
                partner["last"] = max(partner["last"], row.occurred_latest)
    return {"counts": counts, "partners": partners}


def _activity_from_rows(container: Container, party: str, moment: Moment) -> dict[str, int]:
    buckets: dict[str, int] = {}
    for row in container.views.view("timeline").select(moment, keys=[party]):
        first = period_of(row.occurred_earliest, "quarter")
        last = period_of(row.occurred_latest, "quarter")
        period = first if first == last else "unallocated"
        buckets[period] = buckets.get(period, 0) + 1
    return buckets


def test_country_and_activity_counts_made_by_the_store_equal_counting_row_by_row(
    container: Container,
):
    generator = HistoryGenerator(seed=3)
    for _ in range(6):
        bodies = list(generator.developments(100))
        bodies[0]["occurred"] = "2021-03-20/2021-04-10"  # spans two quarters: unallocated
        stored = container.record.append(
            [Posting(DevelopmentSchema().load(b)) for b in bodies], batch=True
        ).events
        for event in stored:
            generator.remember(event)
    catch_up(container)
    before_changes = micros(dt.datetime.now(dt.UTC))
    changed = container.views.view("timeline").select(Moment(), keys=["AUS"], limit=2)
    append(container, correction(changed[0].subject, changed[0].event_id, {"occurred": "2019"}))
    append(container, retraction(changed[1].subject, changed[1].event_id))
    catch_up(container)
    for moment in (Moment(), Moment(as_of="2022-06-30"), Moment(known_at=before_changes)):
        found = country(container.views, "AUS", moment)
        expected = _country_from_rows(container, "AUS", moment)
        assert found["counts"] == dict(sorted(expected["counts"].items()))
        assert found["developments"] == sum(expected["counts"].values())
        assert {p["code"]: (p["developments"], p["last_occurred"]) for p in found["partners"]} == {
            code: (p["developments"], p["last"]) for code, p in expected["partners"].items()
        }
        answer = activity(container.views, moment, party="AUS")
        buckets = {b["period"]: b["developments"] for b in answer["buckets"]}
        if answer["unallocated"]["developments"]:
            buckets["unallocated"] = answer["unallocated"]["developments"]
        assert buckets == _activity_from_rows(container, "AUS", moment)
        assert len(buckets) > 3 and "unallocated" in buckets


def test_a_relationship_lists_the_latest_agreements_and_deals_but_counts_and_totals_all(
    container: Container,
):
    for n, day in enumerate(["2021-05-01", "2023-05-01", "2022-05-01"]):
        append(container, development("agreement.signed", f"agreement:a{n}", occurred=day))
        append(container, development("deal.clinched", f"deal:d{n}", occurred=day))
    catch_up(container)
    everything = relationship(container.views, "AUS", "JPN", Moment())
    two = relationship(container.views, "AUS", "JPN", Moment(), limit=2)
    assert [a["subject"] for a in everything["agreements"]] == [
        "agreement:a0",
        "agreement:a2",
        "agreement:a1",
    ]
    assert [a["subject"] for a in two["agreements"]] == ["agreement:a2", "agreement:a1"]
    assert [d["subject"] for d in two["deals"]["items"]] == ["deal:d2", "deal:d1"]
    assert two["subjects"] == everything["subjects"] == {"agreements": 3, "deals": 3}
    assert two["deals"]["totals"] == everything["deals"]["totals"] != {}


def test_a_runner_far_behind_catches_up_in_larger_batches_then_follows_in_small_ones(
    container: Container,
):
    head = fill(container, 11_500)
    runner = ViewRunner(container.record, list(VIEWS.values()), batch_size=1000)
    assert runner.run_batch() == 5000 and runner.more_waiting  # 11,500 behind
    assert runner.run_batch() == 1000 and runner.more_waiting  # 6,500 behind: followed
    runner.catch_up()
    assert set(runner.positions().values()) == {head} and not runner.more_waiting


def test_many_rows_are_inserted_as_given_whatever_their_text(container: Container):
    """On PostgreSQL view rows go in by COPY, whose text format escapes tabs, line breaks,
    backslashes and nulls: every value comes back as it was given, on both stores."""
    database = container.views.database
    table = database.table("insert_check")
    with database.transaction() as cursor:
        cursor.execute(f"CREATE TABLE {table} (n {{big}} NOT NULL, a TEXT, b TEXT)")
    rows = [
        (1, "tab\there", "line\nbreak"),
        (2, "back\\slash", None),
        (3, "quote'\"", "\\N"),
        (4, "", "naïve 日本 \r end"),
    ]
    with database.transaction() as cursor:
        cursor.insert(table, ("n", "a", "b"), rows)
    assert database.query(f"SELECT n, a, b FROM {table} ORDER BY n") == rows


def test_a_first_start_on_a_long_log_rebuilds_the_empty_views_beside_and_swaps_them_in(
    container: Container,
):
    """Views empty beside a long log (an import, then a first start) are rebuilt: the live
    runner leaves an empty active generation alone while its successor is being rebuilt,
    and once swapped in every view holds what a live runner would have built."""
    container.record.restore(list(generated_lines(400, seed=3)))
    catalog = container.views.catalog
    assert container.rebuilds.rebuild_empty_views(above=400) == []  # not longer than that
    for name in VIEWS:
        catalog.begin_rebuild(name)  # as rebuild_empty_views does, without starting yet
    live = ViewRunner(container.record, list(VIEWS.values()))
    assert live.run_batch() == 0  # every view is left to its rebuild
    assert all(catalog.position(name, 1) == 0 for name in VIEWS)
    assert sorted(container.rebuilds.resume_pending()) == sorted(VIEWS)
    eventually(
        lambda: all(catalog.generations(n) == Generations(2, None) for n in VIEWS),
        timeout=60,
        message="the rebuilds did not finish",
    )
    assert all(catalog.position(name, 1) == 0 for name in VIEWS)
    rebuilt = {name: _rows(container, name) for name in VIEWS}
    head = container.record.max_position()
    for name in VIEWS:
        generation = catalog.begin_rebuild(name)  # a reference built by the live path
        reference = ViewRunner(container.record, [VIEWS[name]], generation=generation)
        while reference.run_batch():
            pass
        assert catalog.position(name, generation) == head
        assert catalog.finish_rebuild(name, generation)
        assert _rows(container, name) == rebuilt[name], name
    assert container.rebuilds.rebuild_empty_views(above=100) == []  # none is empty now


def test_a_first_start_chooses_the_empty_views_of_a_long_log(container: Container):
    container.record.restore(list(generated_lines(150, seed=4)))
    catch_up(container)
    container.views.catalog.begin_rebuild("deals")  # an empty pending generation ...
    generations = container.views.catalog.generations("deals")
    container.views.catalog.finish_rebuild("deals", generations.pending or 0)  # ... made active
    assert container.rebuilds.rebuild_empty_views(above=100) == ["deals"]
    container.rebuilds.stop()


def test_a_finished_rebuild_lets_go_of_its_runner_and_what_it_remembered(container: Container):
    """A runner remembers up to 100,000 developments' places in the log; once its rebuild is
    swapped in, nothing keeps it (after a first start of 1,000,000 events: 51 MB)."""
    container.record.restore(list(generated_lines(150, seed=4)))
    container.rebuilds.start_together(["deals", "agreements"])
    catalog = container.views.catalog
    eventually(
        lambda: all(
            not container.rebuilds.status(name)
            and catalog.generations(name) == Generations(2, None)
            for name in ("deals", "agreements")
        ),
        timeout=60,
        message="the rebuild did not finish",
    )
    gc.collect()
    assert not [
        kept
        for kept in gc.get_objects()
        if isinstance(kept, ViewRunner) and kept.record is container.record
    ]


def test_a_read_ahead_hands_over_batches_in_order_and_ends_on_one_that_does_not_fit(
    container: Container,
):
    """The batches read ahead follow one another to the log's end; asked for a batch from
    elsewhere (another runner moved the views), it ends, and the runner reads for itself."""
    head = fill(container, 2_500)
    runner = ViewRunner(container.record, list(VIEWS.values()))
    ahead = ReadAhead(runner, 0, 1000)
    first = ahead.take(0)
    assert first is not None and first.full and len(first.changes) == 1000
    second = ahead.take(first.end)
    assert second is not None and second.start == first.end
    assert ahead.take(first.end + 1) is None  # not where the views stand: it ends
    assert ahead.take(second.end) is None
    ahead.stop()
    to_the_end = ReadAhead(runner, second.end, 1000)
    last = to_the_end.take(second.end)
    assert last is not None and (last.end, last.full, len(last.changes)) == (head, False, 500)
    assert to_the_end.take(head) is None
    to_the_end.stop()
