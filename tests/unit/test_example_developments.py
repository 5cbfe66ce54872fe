"""The example bodies in config/examples/developments/ (the README posts one) are valid
developments of the type their file names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from events.schemas.envelope import DevelopmentSchema

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples" / "developments"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_each_example_body_is_a_valid_development_of_its_type(path: Path) -> None:
    loaded = DevelopmentSchema().load(json.loads(path.read_text()))
    assert loaded["type"] == path.stem


def test_the_readme_posts_an_example_the_repository_has() -> None:
    readme = (EXAMPLES.parents[2] / "README.md").read_text()
    posted = [w[1:] for w in readme.split() if w.startswith("@config/")]
    assert posted, "the README posts no example body"
    for name in posted:
        assert (EXAMPLES.parents[2] / name).is_file(), name
