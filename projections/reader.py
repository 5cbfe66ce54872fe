"""Reads views at their active generation, and says which log position they reflect."""

from __future__ import annotations

from projections.catalog import ViewCatalog
from projections.database import ViewDatabase
from projections.recorder import Resolver, ViewRecorder


class ViewReader:
    def __init__(self, database: ViewDatabase, resolve: Resolver) -> None:
        self.database = database
        self.catalog = ViewCatalog(database)
        self.resolve = resolve

    def view(self, name: str) -> ViewRecorder:
        generation = self.catalog.generations(name).active
        return ViewRecorder(self.database, name, generation, self.resolve)

    def position(self, *names: str) -> int:
        """The position every named view has reached (the least of them)."""
        return min(
            self.catalog.position(name, self.catalog.generations(name).active) for name in names
        )
