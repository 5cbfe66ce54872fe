"""The groupings catalogue shipped in config/: its shape (every member a country of ISO 3166
or an allowed code, each period joined before it is left, no period of a member overlapping
another of the same grouping, every grouping citing a source) and the facts it must hold."""

from __future__ import annotations

import itertools
import json

import pytest

from events.values.dates import parse_occurred
from events.values.groupings import CATALOGUE, Grouping, groupings
from events.values.parties import to_country_or_none

# Codes a grouping may list beyond ISO 3166-1 (none yet: TRACKER_EXTRA_PARTIES is a setting,
# the shipped catalogue names countries only).
ALLOWED = frozenset[str]()
MEMBER_FIELDS = {"party", "joined", "left"}


def catalogue() -> list[dict]:
    return json.loads(CATALOGUE.read_text())["groupings"]


@pytest.mark.parametrize("grouping", catalogue(), ids=lambda g: g["code"])
def test_every_member_is_a_country_with_periods_in_order_and_apart(grouping: dict):
    for member in grouping["members"]:
        assert set(member) <= MEMBER_FIELDS and {"party", "joined"} <= set(member), member
        party = member["party"]
        assert party in ALLOWED or to_country_or_none(party) == party, member
        joined = parse_occurred(member["joined"])
        if "left" in member:
            assert joined.earliest <= parse_occurred(member["left"]).latest, member
    by_party = sorted(grouping["members"], key=lambda m: m["party"])
    for party, periods in itertools.groupby(by_party, key=lambda m: m["party"]):
        spans = sorted(_span(m) for m in periods)
        for (_, first_ends), (second_starts, _) in itertools.pairwise(spans):
            assert first_ends < second_starts, f"{grouping['code']}: {party}'s periods overlap"


@pytest.mark.parametrize("grouping", catalogue(), ids=lambda g: g["code"])
def test_every_grouping_cites_its_sources(grouping: dict):
    assert grouping["sources"]
    assert all(s["url"].startswith("https://") and s["publisher"] for s in grouping["sources"])


def _span(member: dict) -> tuple[str, str]:
    start = parse_occurred(member["joined"]).earliest.isoformat()
    end = parse_occurred(member["left"]).latest.isoformat() if "left" in member else "9999-12-31"
    return start, end


def members_on(code: str, day: str) -> set[str]:
    grouping: Grouping = groupings()[code]
    return {m.party for m in grouping.members_on(day)}


def test_the_catalogue_holds_the_groupings_the_design_names():
    assert {"QUAD", "AUKUS", "ASEAN", "EU", "NATO", "UN", "G7", "PIF"} <= set(groupings())


def test_the_quad_is_india_s_in_2007_and_from_its_revival_in_november_2017_only():
    assert members_on("QUAD", "2007-05-31") == {"AUS", "IND", "JPN", "USA"}
    assert members_on("QUAD", "2010-06-30") == set()
    assert members_on("QUAD", "2017-11-11") == set()
    assert members_on("QUAD", "2017-11-12") == {"AUS", "IND", "JPN", "USA"}


def test_the_eu_had_britain_until_31_january_2020():
    assert "GBR" in members_on("EU", "2020-01-31")
    assert "GBR" not in members_on("EU", "2020-02-01")
    assert "HRV" in members_on("EU", "2013-07-01") and "HRV" not in members_on("EU", "2013-06-30")
    assert len(members_on("EU", "2025-09-05")) == 27


def test_nato_took_finland_and_sweden_on_the_days_they_joined():
    assert "FIN" not in members_on("NATO", "2023-04-03")
    assert "FIN" in members_on("NATO", "2023-04-04")
    assert "SWE" not in members_on("NATO", "2024-03-06")
    assert "SWE" in members_on("NATO", "2024-03-07")
    assert len(members_on("NATO", "2025-09-05")) == 32


def test_the_pacific_islands_forum_began_with_australia_and_new_zealand_in_1971():
    assert {"AUS", "NZL"} <= members_on("PIF", "1971-08-05")
    assert "KIR" not in members_on("PIF", "2022-10-01")
    assert len(members_on("PIF", "2025-09-05")) == 18


def test_the_un_has_its_193_members_each_admitted_on_a_day():
    un = groupings()["UN"]
    assert len(members_on("UN", "2025-09-05")) == 193
    assert all(parse_occurred(m.joined).precision == "day" for m in un.members)
    assert members_on("UN", "1945-10-24") >= {"USA", "GBR", "FRA", "CHN", "RUS"}
    assert "JPN" not in members_on("UN", "1956-12-17") and "JPN" in members_on("UN", "1956-12-18")
    assert "SSD" in members_on("UN", "2011-07-14")
