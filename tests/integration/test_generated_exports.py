"""The benchmarks' export of a generated history, made without a store, is byte for byte what
`tracker export` writes of a store filled with that history."""

from __future__ import annotations

import json

from service.bootstrap import Container
from tests.history import exported_lines, fill

COUNT = 600  # enough for corrections and retractions of earlier events


def test_lines_made_without_a_store_are_the_export_of_a_filled_store(
    container: Container,
) -> None:
    fill(container, COUNT)
    exported = [
        json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"
        for event in container.record.export()
    ]
    made = list(exported_lines(COUNT))
    assert len(made) == COUNT
    assert any('"type":"development.corrected"' in line for line in made)
    assert made == exported
