"""The pages' blueprint and what every page shares: its templates and files, the headers that
keep a page to our own host, and the error page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, render_template, request

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "static"

blp = Blueprint("pages", __name__, template_folder="templates")

# Nothing from another host, no inline script or style; only the docs page allows inline
# styles, which Swagger UI sets as it renders (its scripts are still files of ours).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
DOCS_ENDPOINT = "pages.docs_page"


class PageError(Exception):
    """A request a page cannot answer: shown as a page with this status, never a 500."""

    def __init__(self, status: int, title: str, detail: str, problems: list[str] | None = None):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.problems = problems or []


@blp.errorhandler(PageError)
def page_error(error: PageError) -> tuple[str, int]:
    return render_template(
        "error.html", error=error, title=error.title, shown=None, json_url=None
    ), error.status


@blp.after_request
def own_host_only(response: Response) -> Response:
    policy = (
        DOCS_CONTENT_SECURITY_POLICY
        if request.endpoint == DOCS_ENDPOINT
        else CONTENT_SECURITY_POLICY
    )
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
