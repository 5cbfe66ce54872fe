from events.catalogue import KINDS, TYPES, is_type_pattern, type_matches, types_matching


def test_every_type_has_a_known_kind_and_every_kind_has_types() -> None:
    assert {t.kind for t in TYPES.values()} == set(KINDS)


def test_a_kind_pattern_matches_the_types_of_that_kind_only() -> None:
    assert types_matching(["deal.*"]) == ["deal.clinched", "deal.updated"]
    assert type_matches("agreement.*", "agreement.signed")
    assert not type_matches("agreement.*", "deal.clinched")
    assert not type_matches("agree.*", "agreement.signed")


def test_type_patterns_accept_known_types_and_kinds_only() -> None:
    assert is_type_pattern("meeting.held")
    assert is_type_pattern("development.*")
    assert not is_type_pattern("meeting.*.*")
    assert not is_type_pattern("treaty.*")
    assert not is_type_pattern("meeting.hel")
