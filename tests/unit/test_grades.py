"""The confidence a development's graded sources give it (the rule in events/values/grades.py)."""

from __future__ import annotations

import pytest

from events.values.grades import best_reliability, confidence_of, source_level


def graded(reliability: str, credibility: int, publisher: str = "p") -> dict:
    return {
        "url": "https://a.io",
        "publisher": publisher,
        "grade": {"reliability": reliability, "credibility": credibility},
    }


@pytest.mark.parametrize(
    ("reliability", "credibility", "level"),
    [
        ("A", 1, "high"),
        ("B", 2, "high"),
        ("A", 3, "moderate"),
        ("C", 1, "moderate"),
        ("C", 4, "low"),
        ("E", 5, "low"),
        ("F", 1, None),
        ("A", 6, None),
    ],
)
def test_a_source_is_judged_by_both_halves_of_its_grade(reliability, credibility, level):
    assert source_level(graded(reliability, credibility)) == level


def test_a_development_takes_its_best_source():
    assert confidence_of([graded("D", 4), graded("B", 3)]) == "moderate"


def test_two_publishers_at_one_level_corroborate_one_step_up():
    assert confidence_of([graded("C", 3, "Reuters"), graded("B", 3, "NHK")]) == "high"
    assert confidence_of([graded("C", 3, "Reuters"), graded("B", 3, "reuters ")]) == "moderate"
    assert confidence_of([graded("E", 5, "a"), graded("D", 4, "b")]) == "moderate"
    assert confidence_of([graded("A", 1, "a"), graded("A", 1, "b")]) == "high"


def test_sources_without_a_grade_that_judges_leave_it_unassessed():
    assert confidence_of([{"url": "https://a.io"}, graded("F", 6)]) == "unassessed"


def test_the_best_reliability_is_the_earliest_letter():
    assert best_reliability([graded("C", 1), graded("F", 6), {"url": "u"}]) == "C"
    assert best_reliability([{"url": "u"}]) == ""
