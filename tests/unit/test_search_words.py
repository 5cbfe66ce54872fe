"""A column's text as indexed: the ASCII shortcut gives what the words do, for every text."""

from __future__ import annotations

import random
import string

from projections.search import indexed_text, keyed, words_of
from tests.history import generated_lines

KEY = b"k" * 32
FULLWIDTH_ABC = "\uff21\uff22\uff23"  # NFKC makes it ABC


def _by_words(text: str, key: bytes | None) -> str:
    return " ".join(keyed(words_of(text), key))


def test_the_ascii_shortcut_indexes_the_same_words_as_the_words_themselves():
    alphabet = string.ascii_letters + string.digits + string.punctuation + " \t\n_-"
    rng = random.Random(5)
    texts = ["", " ", "--", "_", "a_b", "  Lead  and trail. ", "AUS-JPN 2+2, 12th"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(2000)]
    for line in generated_lines(200):
        development = line.get("development", line)
        texts += [str(development.get(f, "")) for f in ("title", "summary")]
    for text in texts:
        assert indexed_text(text, None) == _by_words(text, None), text


def test_text_beyond_ascii_and_keyed_words_go_by_the_words():
    for text in (
        "Naïve café " + FULLWIDTH_ABC,
        "Straße STRASSE",
        "日本 と オーストラリア",
        "plain ascii",
    ):
        assert indexed_text(text, None) == _by_words(text, None)
        assert indexed_text(text, KEY) == _by_words(text, KEY)
    assert indexed_text(FULLWIDTH_ABC, None) == "abc"  # NFKC, then folded
