"""The home page: the latest developments (by when they occurred, newest first), and the
relationships and countries they belong to. Read through the same view as
`/v1/timeline?order=desc`."""

from __future__ import annotations

import itertools
from typing import Any

from flask import render_template

from projections import timeline
from projections.relationships import pair_key
from service.access import Scope, requires
from service.api import container
from service.api.moments import AsOfKnownAtArgsSchema, moment_of, read_view
from service.pages.moment import Shown, page_query
from service.pages.site import blp

LATEST = 20


@blp.get("/")
@requires(Scope.READ)
@page_query(AsOfKnownAtArgsSchema)
def home_page(query: dict[str, Any], shown: Shown) -> Any:
    shown = shown.at(read_view(query, "timeline"))
    latest = timeline.timeline(container().views, moment_of(query), limit=LATEST, newest_first=True)
    return render_template(
        "home.html",
        title="Latest developments",
        shown=shown,
        json_url=shown.link("/v1/timeline", order="desc", limit=LATEST),
        latest=latest,
        pairs=pairs_in(latest),
        countries=countries_in(latest),
    )


def pairs_in(developments: list[dict[str, Any]]) -> list[str]:
    """Every pair of countries these developments name, most often named first."""
    counts: dict[str, int] = {}
    for development in developments:
        for a, b in itertools.combinations(sorted(set(development["parties"])), 2):
            key = pair_key(a, b)
            counts[key] = counts.get(key, 0) + 1
    return sorted(counts, key=lambda key: (-counts[key], key))


def countries_in(developments: list[dict[str, Any]]) -> list[str]:
    """Every country these developments name, most often named first."""
    counts: dict[str, int] = {}
    for development in developments:
        for code in set(development["parties"]):
            counts[code] = counts.get(code, 0) + 1
    return sorted(counts, key=lambda code: (-counts[code], code))
