"""The home page: the latest developments (by when they occurred, newest first), the
relationships and countries they belong to, and the pairs and countries most active this
quarter (developments dated within it). Read through the same view as
`/v1/timeline?order=desc`."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

from flask import current_app, render_template

from projections import activity, timeline
from projections.relationships import pair_key
from service.access import Scope, requires
from service.api import container
from service.api.moments import AsOfKnownAtArgsSchema, moment_of, read_view
from service.pages.moment import Shown, page_query
from service.pages.site import blp

LATEST = 20
MOST_ACTIVE = 10
CLOCK = "TRACKER_PAGES_CLOCK"  # app.config: a callable giving the time now (tests fix it)


@blp.get("/")
@requires(Scope.READ)
@page_query(AsOfKnownAtArgsSchema)
def home_page(query: dict[str, Any], shown: Shown) -> Any:
    shown = shown.at(read_view(query, "timeline"))
    moment = moment_of(query)
    latest = timeline.timeline_page(
        container().views, moment, limit=LATEST, newest_first=True
    ).items
    active = activity.most_active(container().views, moment, this_day(moment.as_of), MOST_ACTIVE)
    return render_template(
        "home.html",
        title="Latest developments",
        shown=shown,
        json_url=shown.link("/v1/timeline", order="desc", limit=LATEST),
        latest=latest,
        pairs=pairs_in(latest),
        countries=countries_in(latest),
        active=active,
    )


def this_day(as_of: str | None) -> dt.date:
    """The day whose quarter "this quarter" is: the page's `as_of` (its last day), or today
    by the app's clock (`TRACKER_PAGES_CLOCK` in its config, for tests; else the system's)."""
    if as_of is not None:
        return dt.date.fromisoformat(as_of[:10])
    clock: Callable[[], dt.datetime] = current_app.config.get(
        CLOCK, lambda: dt.datetime.now(dt.UTC)
    )
    return clock().date()


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
