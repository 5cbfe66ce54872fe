"""Generations of each view: the active one serves reads; a pending one is being rebuilt
beside it and replaces it once it has caught up. One older generation is kept, so that a
read that began just before a swap still finds its table."""

from __future__ import annotations

from dataclasses import dataclass

from projections.database import Cursor, ViewDatabase
from projections.projection import FactProjection
from projections.recorder import DDL_COLUMNS

# Partial indexes of current rows, by name: a view lists those its reads use.
CURRENT_ROW_INDEXES = {
    "latest": "row_key, occurred_latest, occurred_earliest, position",
    "earliest": "row_key, occurred_earliest, position",
    "detail": "row_key, detail, occurred_latest, occurred_earliest, position, subject",
    "types": "row_key, type, event_id",
    "tally": "row_key, detail, type, occurred_earliest, occurred_latest",
}
# Those each view's reads use (in its module); a view not named here reads by key only.
# Each index costs every write, so a view has only those it reads by.
# The timeline's and relationships' rows are also what activity and countries count.
READ_INDEXES: dict[str, tuple[str, ...]] = {
    "relationships": ("latest", "detail", "types", "tally"),
    "timeline": ("earliest", "tally"),
}

# Views that say what changed between two record moments (`ViewRecorder.changed`) find the
# rows that ended then by this partial index: small, since only corrected and retracted
# developments' rows end, and never chosen for reads of current rows (valid_to IS NULL).
ENDED_ROW_INDEX = "row_key, valid_to"
CHANGES_READ_FROM = ("relationships", "timeline")


def _projection(view: str) -> type[FactProjection]:
    """The view's projection, for the tables it keeps beside its rows."""
    return FactProjection.named(view)


def create_tracking_table(cursor: Cursor, database: ViewDatabase) -> None:
    """Each tracked follower's position in the log, by (view, generation): the views' in
    their database, the webhook outbox's ('outbox', 0) in the log's (on SQLite the two are
    files of their own; on PostgreSQL both are the one database)."""
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {database.table('view_tracking')} (view TEXT NOT NULL, "
        "generation {big} NOT NULL, position {big} NOT NULL, "
        "PRIMARY KEY (view, generation))"
    )


@dataclass(frozen=True)
class Generations:
    active: int
    pending: int | None


class ViewCatalog:
    def __init__(self, database: ViewDatabase) -> None:
        self.database = database
        self._tracking = database.table("view_tracking")
        self._generations = database.table("view_generations")
        self._versions = database.table("view_key_versions")

    def create_tables(self) -> None:
        with self.database.transaction() as cursor:
            create_tracking_table(cursor, self.database)
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._generations} (view TEXT PRIMARY KEY, "
                "active {big} NOT NULL, pending {big})"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._versions} (view TEXT NOT NULL, "
                "generation {big} NOT NULL, row_key TEXT NOT NULL, version {big} NOT NULL, "
                "PRIMARY KEY (view, generation, row_key))"
            )

    def generations(self, view: str) -> Generations:
        rows = self.database.query(
            f"SELECT active, pending FROM {self._generations} WHERE view = ?", (view,)
        )
        if rows:
            return Generations(int(rows[0][0]), None if rows[0][1] is None else int(rows[0][1]))
        self.create_generation(view, 1)
        with self.database.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self._generations} (view, active) VALUES (?, 1) "
                "ON CONFLICT (view) DO NOTHING",
                (view,),
            )
        return self.generations(view)

    def begin_rebuild(self, view: str) -> int:
        """Starts (or, if one is under way, continues) a rebuild; returns its generation."""
        current = self.generations(view)
        if current.pending is not None:
            return current.pending
        generation = current.active + 1
        self.drop_generation(view, generation)  # a leftover of an abandoned attempt
        self.create_generation(view, generation, key_index=False)
        with self.database.transaction() as cursor:
            cursor.execute(
                f"UPDATE {self._generations} SET pending = ? WHERE view = ? AND pending IS NULL",
                (generation, view),
            )
        return self.generations(view).pending or generation

    def finish_rebuild(self, view: str, generation: int) -> bool:
        """Makes the rebuilt generation the active one; drops the one before the previous."""
        self.create_key_index(view, generation)
        with self.database.transaction() as cursor:
            cursor.execute(
                f"UPDATE {self._generations} SET active = ?, pending = NULL "
                "WHERE view = ? AND pending = ?",
                (generation, view, generation),
            )
            swapped = cursor.rowcount == 1
        if swapped and generation > 2:
            self.drop_generation(view, generation - 2)
        return swapped

    def create_generation(self, view: str, generation: int, *, key_index: bool = True) -> None:
        """A generation's table; a rebuild adds the lookup index when it has caught up (one
        index build is cheaper than keeping it up to date row by row)."""
        name = f"view_{view}_{generation}"
        table = self.database.table(name)
        if key_index:
            self.create_key_index(view, generation)
        with self.database.transaction() as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} ({DDL_COLUMNS})")
            cursor.execute(f'CREATE INDEX IF NOT EXISTS "{name}_event" ON {table} (position)')
            for statement in _projection(view).create_beside(
                self.database, generation, indexes=False
            ):
                cursor.execute(statement)
            cursor.execute(
                f"INSERT INTO {self._tracking} (view, generation, position) VALUES (?, ?, 0) "
                "ON CONFLICT (view, generation) DO NOTHING",
                (view, generation),
            )

    def create_key_index(self, view: str, generation: int) -> None:
        """The lookup indexes: any row by key (for reads at an earlier `known_at`, and of
        the subjects whose states are folded), and the partial indexes of current rows the
        view's reads use (`READ_INDEXES`), so that reads of a long history read only what
        they return. One transaction per index: on a rebuilt view of millions of rows each
        takes seconds, and every other writer waits for the one under way."""
        name = f"view_{view}_{generation}"
        table = self.database.table(name)
        statements = [
            f"CREATE TABLE IF NOT EXISTS {table} ({DDL_COLUMNS})",
            f'CREATE INDEX IF NOT EXISTS "{name}_key_from" ON {table} '
            "(row_key, valid_from, valid_to, source_position)",
            *(
                f'CREATE INDEX IF NOT EXISTS "{name}_{suffix}" ON {table} '
                f"({CURRENT_ROW_INDEXES[suffix]}) WHERE valid_to IS NULL"
                for suffix in READ_INDEXES.get(view, ())
            ),
            *(
                f'CREATE INDEX IF NOT EXISTS "{name}_ended" ON {table} '
                f"({ENDED_ROW_INDEX}) WHERE valid_to IS NOT NULL"
                for _ in range(view in CHANGES_READ_FROM)
            ),
            *_projection(view).create_beside(self.database, generation, indexes=False),
            *_projection(view).create_beside(self.database, generation, indexes=True),
        ]
        for statement in statements:
            with self.database.transaction() as cursor:
                cursor.execute(statement)

    def ensure_indexes(self, view: str) -> None:
        """Adds indexes a newer release defines to the active generation (a no-op once
        there): stores made by an earlier release get them at start."""
        active = self.generations(view).active
        self.create_key_index(view, active)
        self._version_unversioned_keys(view, active)
        if not _projection(view).keeps_rows:
            self._clear_rows_of_earlier_layout(view, active)
        with self.database.transaction() as cursor:
            # An earlier release's (row_key, valid_to): the planner preferred it, uncovered,
            # to the current-row indexes.
            cursor.execute(
                f"DROP INDEX IF EXISTS {self.database.table(f'view_{view}_{active}_key')}"
            )

    def drop_generation(self, view: str, generation: int) -> None:
        with self.database.transaction() as cursor:
            cursor.execute(
                f"DROP TABLE IF EXISTS {self.database.table(f'view_{view}_{generation}')}"
            )
            for beside in _projection(view).tables_beside(self.database, generation):
                cursor.execute(f"DROP TABLE IF EXISTS {beside}")
            for table in (self._tracking, self._versions):
                cursor.execute(
                    f"DELETE FROM {table} WHERE view = ? AND generation = ?", (view, generation)
                )

    def _clear_rows_of_earlier_layout(self, view: str, generation: int) -> None:
        """A view that now reads other views' rows may hold rows an earlier release wrote
        for it (its answers are the same from those it reads): they are let go, once."""
        table = self.database.table(f"view_{view}_{generation}")
        if self.database.query(f"SELECT 1 FROM {table} LIMIT 1"):
            with self.database.transaction() as cursor:
                cursor.execute(f"DELETE FROM {table}")
            with self.database.transaction() as cursor:
                cursor.execute(f"DELETE FROM {self._versions} WHERE view = ?", (view,))

    def _version_unversioned_keys(self, view: str, generation: int) -> None:
        """Keys of a generation an earlier release wrote (it kept no versions) take the
        view's position as theirs; every later change of them is at a later position.
        (Looked for with one indexed row, so that a start does not scan a versioned view.)"""
        versioned = self.database.query(
            f"SELECT 1 FROM {self._versions} WHERE view = ? AND generation = ? LIMIT 1",
            (view, generation),
        )
        if versioned:
            return
        table = self.database.table(f"view_{view}_{generation}")
        with self.database.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self._versions} (view, generation, row_key, version) "
                f"SELECT DISTINCT ?, ?, row_key, ? FROM {table} WHERE row_key IS NOT NULL "
                "ON CONFLICT (view, generation, row_key) DO NOTHING",
                (view, generation, self.position(view, generation)),
            )

    def all_generations(self) -> dict[str, Generations]:
        """Every view's active and pending generations, in one query."""
        rows = self.database.query(f"SELECT view, active, pending FROM {self._generations}")
        return {
            str(r[0]): Generations(int(r[1]), None if r[2] is None else int(r[2])) for r in rows
        }

    def positions(self) -> dict[tuple[str, int], int]:
        """Every tracked (view, generation)'s position, in one query."""
        rows = self.database.query(f"SELECT view, generation, position FROM {self._tracking}")
        return {(str(r[0]), int(r[1])): int(r[2]) for r in rows}

    def position(self, view: str, generation: int) -> int:
        rows = self.database.query(
            f"SELECT position FROM {self._tracking} WHERE view = ? AND generation = ?",
            (view, generation),
        )
        return int(rows[0][0]) if rows else 0
