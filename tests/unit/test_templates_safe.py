"""Every page template keeps to the Content-Security-Policy the pages are served with: no
inline script, no inline style (neither a <style> element nor a style attribute), no event
handler attribute, no javascript: address; scripts and stylesheets are files of our own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "pages" / "templates"
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: address": re.compile(r"javascript:", re.IGNORECASE),
}


def templates() -> list[Path]:
    found = sorted(TEMPLATES.rglob("*.html"))
    assert found, f"no templates under {TEMPLATES}"
    return found


@pytest.mark.parametrize("template", templates(), ids=lambda path: path.name)
def test_a_template_has_no_inline_script_or_style(template: Path) -> None:
    text = template.read_text()
    found = [what for what, pattern in INLINE.items() if pattern.search(text)]
    assert not found, f"{template.name} has {', '.join(found)}"


def test_the_check_finds_what_it_looks_for() -> None:
    for bad in (
        "<script>alert(1)</script>",
        '<p style="color: red">',
        "<style>p {}</style>",
        '<a onclick="x()">',
        '<a href="javascript:x()">',
    ):
        assert any(p.search(bad) for p in INLINE.values()), bad
    assert not any(
        p.search('<script src="/assets/docs.js" defer></script>') for p in INLINE.values()
    )
