"""The base of every view: developments become rows; a correction supersedes the target's
rows with rows of the corrected development; a retraction supersedes them with nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from events.catalogue import kind_of
from events.subjects import Subject
from projections.database import ViewDatabase
from projections.facts import Fact, micros
from projections.recorder import ViewRecorder


@dataclass(slots=True)
class Original:
    """Where a corrected development first stood in the log."""

    position: int
    version: int
    recorded_at: int


class FactProjection:
    """Stages a view's rows for each change; the runner writes them with the batch's position.
    (Not the library's `Projection`: the runner derives each change once for all views, so
    no view processes events one by one.)"""

    name = ""
    subject_kinds: ClassVar[frozenset[str]] = frozenset()  # empty: every kind
    # A view whose answers are made from other views' rows keeps none of its own (activity
    # and countries count the timeline's and relationships' rows, search joins its words to
    # the timeline's): each row written once serves every view that reads it. Such a view
    # names the views it reads, whose positions its own answers reflect.
    keeps_rows: ClassVar[bool] = True
    reads_rows_of: ClassVar[tuple[str, ...]] = ()
    # The view projections by name, as each is defined: the catalog asks here for a view's
    # tables beside its rows, without importing the views (they import the catalog's readers).
    _named: ClassVar[dict[str, type[FactProjection]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            FactProjection._named[cls.name] = cls

    @staticmethod
    def named(view: str) -> type[FactProjection]:
        """The projection of the view called `view` (the base, with no tables beside its
        rows, for a view none defines)."""
        return FactProjection._named.get(view, FactProjection)

    def __init__(self, view: ViewRecorder) -> None:
        self.view = view

    @classmethod
    def tables_beside(cls, database: ViewDatabase, generation: int) -> list[str]:
        """The names of the view's own tables beside its rows (none: rows only)."""
        return []

    @classmethod
    def create_beside(cls, database: ViewDatabase, generation: int, *, indexes: bool) -> list[str]:
        """The statements creating those tables (and, with `indexes`, their indexes)."""
        return []

    def keys_for(self, fact: Fact) -> list[tuple[str, str]]:
        """The (key, detail) rows one development contributes to this view."""
        raise NotImplementedError

    def apply(self, change: Change) -> None:
        """Stages the rows of one change."""
        if not self.keeps_rows:
            return
        if self.subject_kinds and change.subject_kind not in self.subject_kinds:
            return
        if change.target is not None:
            self.view.supersede(change.target, change.at)
        if change.fact is not None:
            self.view.add(change.fact, self.keys_for(change.fact))


class SubjectProjection(FactProjection):
    """A view of one kind of subject whose reads fold each subject's rows into its state:
    one row per development, keyed by its subject, with its type as the detail."""

    def keys_for(self, fact: Fact) -> list[tuple[str, str]]:
        return [(fact.subject, fact.type)]


@dataclass(slots=True)
class Change:
    """What one event does to the views: supersede the rows of the event first recorded at
    `target` (a position), add a fact's rows, or both. (Slotted, not frozen, like Fact and
    Original: a rebuild makes one of each per event, and frozen ones cost 2 us more each.)"""

    subject_kind: str
    at: int
    target: int | None
    fact: Fact | None


def change_of(domain_event: Any, position: int, originals: Callable[[str], Original]) -> Change:
    at = micros(domain_event.timestamp)
    kind = kind_of(domain_event.originator_id)
    if isinstance(domain_event, Subject.DevelopmentRetracted):
        return Change(
            kind, at, originals(domain_event.development["data"]["target"]).position, None
        )
    if isinstance(domain_event, Subject.DevelopmentCorrected):
        target = domain_event.development["data"]["target"]
        original = originals(target)
        corrected = Fact(
            event_id=target,
            position=original.position,
            version=original.version,
            recorded_at=original.recorded_at,
            source_position=position,
            valid_from=at,
            development=domain_event.corrected_development,
        )
        return Change(kind, at, original.position, corrected)
    fact = Fact(
        event_id=domain_event.event_id,
        position=position,
        version=domain_event.originator_version,
        recorded_at=at,
        source_position=position,
        valid_from=at,
        development=domain_event.development,
    )
    return Change(kind, at, None, fact)
