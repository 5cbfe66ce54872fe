"""The import's subject cache: bounded by the developments it holds, handing out a subject
only at the version the store gives, and never twice."""

from __future__ import annotations

from events.schemas.envelope import DevelopmentSchema
from events.subject_cache import SubjectCache
from events.subjects import Subject
from tests.factories import development


def subject_with(name: str, developments: int) -> Subject:
    load = DevelopmentSchema().load
    subject = Subject.open(name, f"{name}-1", load(development("meeting.held", name)))
    for number in range(2, developments + 1):
        subject.record(f"{name}-{number}", load(development("meeting.held", name)))
    return subject


def test_a_subject_is_handed_out_once_and_only_at_the_stored_version():
    cache = SubjectCache(developments=100)
    kept = subject_with("meeting:a", 3)
    cache.keep(kept)
    assert kept.pending_events == []  # saved already: only its state is kept
    assert cache.take({"meeting:a": 4}) == {}  # another writer went on: dropped
    assert cache.take({"meeting:a": 3}) == {}  # ... so not there any more
    cache.keep(kept)
    assert cache.take({"meeting:a": 3}) == {"meeting:a": kept}
    assert cache.take({"meeting:a": 3}) == {}  # whoever took it records on it


def test_the_least_recently_kept_subjects_go_when_their_developments_pass_the_bound():
    cache = SubjectCache(developments=10)
    for name in ("meeting:a", "meeting:b", "meeting:c"):
        cache.keep(subject_with(name, 4))  # 12 developments in all: the first goes
    assert len(cache) == 2
    assert cache.take({"meeting:a": 4}) == {}
    assert set(cache.take({"meeting:b": 4, "meeting:c": 4})) == {"meeting:b", "meeting:c"}
    cache.keep(subject_with("meeting:d", 11))  # longer than the bound on its own
    assert len(cache) == 0
