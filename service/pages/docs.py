"""`/docs` (Swagger UI on `/openapi.json`) and the pages' own files, both served from this
package: nothing is fetched from another host, so the docs work offline."""

from __future__ import annotations

from typing import Any

from flask import render_template, send_from_directory

from service.access import public
from service.pages.site import ASSETS, blp

ASSET_MAX_AGE = 3600


@blp.get("/docs")
@public
def docs_page() -> Any:
    return render_template(
        "docs.html", title="API documentation", shown=None, json_url="/openapi.json"
    )


@blp.get("/assets/<path:name>")
@public
def asset(name: str) -> Any:
    """A stylesheet, script or image of the pages (a missing one is a 404)."""
    return send_from_directory(ASSETS, name, max_age=ASSET_MAX_AGE)
