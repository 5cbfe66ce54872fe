"""The analyst's pages, served by `tracker serve` beside the API: home, relationship, country,
subject, one development, the lists of agreements, deals and the timeline, what changed
and the docs. Server-rendered with Jinja2 and readable without JavaScript;
every reading page takes `as_of` and `known_at` as the API does (what changed takes the two
record moments it compares), says which moment it answers for, and links to the same data as
JSON. Pages read through the API's own use cases and views, and each declares the scope of the
JSON it mirrors (`service/access.py`)."""

from __future__ import annotations

from service.pages import (
    admin,
    amend,
    changes,
    country,
    docs,
    event,
    home,
    lists,
    portal,
    record,
    relationship,
    search,
    sessions,
    signin,
    subject,
    wording,
)
from service.pages.site import blp

__all__ = [
    "admin",
    "amend",
    "blp",
    "changes",
    "country",
    "docs",
    "event",
    "home",
    "lists",
    "portal",
    "record",
    "relationship",
    "search",
    "signin",
    "subject",
]

wording.register(blp)
sessions.register(blp)
