"""The catalog's choice of read indexes names real views and real indexes: a misspelt view
would silently read a long history without its indexes."""

from __future__ import annotations

from projections.catalog import CURRENT_ROW_INDEXES, READ_INDEXES
from projections.registry import VIEWS


def test_every_view_with_read_indexes_is_a_view_and_every_index_is_defined() -> None:
    assert set(READ_INDEXES) <= set(VIEWS)
    assert {index for indexes in READ_INDEXES.values() for index in indexes} <= set(
        CURRENT_ROW_INDEXES
    )
