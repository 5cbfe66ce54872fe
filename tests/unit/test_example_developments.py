"""The example bodies in config/examples/developments/ (the README posts from there, and
/openapi.json shows each as its type's example) are valid developments of the type their file
names, one per type that the record has a sourced development of."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from events.catalogue import TYPES
from events.schemas.envelope import DevelopmentSchema
from service.openapi.examples import development_examples

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config" / "examples" / "developments"
README = ROOT / "README.md"

# Types no source behind the example data (the seed stories, the design's facts) reports an
# instance of; an example is added with the first sourced development of each.
UNSOURCED = {"agreement.status_changed", "deal.updated", "development.retracted"}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_each_example_body_is_a_valid_development_of_its_type(path: Path) -> None:
    loaded = DevelopmentSchema().load(json.loads(path.read_text()))
    assert loaded["type"] == path.stem


def test_every_type_has_an_example_body_but_those_nothing_sourced_reports() -> None:
    assert {path.stem for path in EXAMPLES.glob("*.json")} == set(TYPES) - UNSOURCED


def test_the_api_document_reads_one_example_per_file() -> None:
    shown = development_examples(EXAMPLES)
    assert {name: example["value"] for name, example in shown.items()} == {
        path.stem: json.loads(path.read_text()) for path in EXAMPLES.glob("*.json")
    }
    assert all(example["summary"] for example in shown.values())


def readme_posted_files() -> list[str]:
    """Every `-d @file` (or `--data @file`) of a curl command in the README."""
    return re.findall(r"(?:-d|--data(?:-binary)?)\s+@(\S+)", README.read_text())


def test_the_readme_posts_example_bodies_the_repository_has_and_that_validate() -> None:
    posted = readme_posted_files()
    assert posted, "the README posts no example body"
    for name in posted:
        path = ROOT / name
        assert path.is_file(), name
        assert path.parent == EXAMPLES, f"{name} is not one of the example bodies"
        DevelopmentSchema().load(json.loads(path.read_text()))
