"""`/tokens` (admin): the tokens, making one (its secret shown on the page that answers the
form, once) and revoking one; `/admin/views` (admin): each view's position, lag and rebuild
progress, and a rebuild button. Through the same use cases as `/v1/tokens` and
`/v1/projections`."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request

from projections.registry import VIEWS
from service.access import Scope, requires
from service.api import container
from service.api.paging import PagingArgsSchema, limit_field, next_page_url
from service.api.projections_admin import view_state
from service.api.tokens import SCOPES, create_token, shown, tokens_page
from service.pages.moment import Shown, page_query
from service.pages.site import PageError, blp

LONGEST_LABEL = 200
PAGE = 50


class TokensPageArgsSchema(PagingArgsSchema):
    limit = limit_field(PAGE)


@blp.get("/tokens")
@requires(Scope.ADMIN)
@page_query(TokensPageArgsSchema)
def tokens_list_page(query: dict[str, Any], shown: Shown) -> Any:
    return _page(query)


@blp.post("/tokens")
@requires(Scope.ADMIN)
def make_token() -> Any:
    scope = request.form.get("scope", "")
    label = request.form.get("label", "").strip()
    problems = {}
    if scope not in SCOPES:
        problems["scope"] = "Choose read, write or admin."
    if len(label) > LONGEST_LABEL:
        problems["label"] = f"At most {LONGEST_LABEL} characters."
    if problems:
        return _page(FIRST_PAGE, problems=problems, label=label[:LONGEST_LABEL]), 422
    token, row = create_token(Scope.parse(scope), label)
    return _page(FIRST_PAGE, made=shown(row), secret=token), 201


@blp.post("/tokens/<token_id>/revoke")
@requires(Scope.ADMIN)
def revoke_token(token_id: str) -> Any:
    if not container().auth.revoke(token_id):
        raise PageError(404, "No such token", f"No token '{token_id[:40]}'.")
    return redirect("/tokens", code=303)


FIRST_PAGE = {"limit": PAGE}


def _page(query: dict[str, Any], **shown_now: Any) -> str:
    """A page of tokens, oldest first, with its "Next" link (and "First page" past it)."""
    page = tokens_page(query)
    return render_template(
        "tokens.html",
        title="Tokens",
        shown=None,
        json_url="/v1/tokens",
        tokens=[shown(row) for row in page.items],
        next_url=next_page_url(page.next),
        first_page="/tokens" if "cursor" in query else None,
        scopes=SCOPES,
        problems={},
        **{"label": "", **shown_now},
    )


@blp.get("/admin/views")
@requires(Scope.ADMIN)
def views_page() -> Any:
    """Each view's position, lag and rebuild progress, as `/v1/projections` says them."""
    head = container().record.max_position()
    return render_template(
        "admin_views.html",
        title="Views",
        shown=None,
        json_url="/v1/projections",
        head=head,
        views=[view_state(name, head) for name in VIEWS],
    )


@blp.post("/admin/views/<name>/rebuild")
@requires(Scope.ADMIN)
def rebuild_view(name: str) -> Any:
    """Starts a rebuild, through the same use case as `POST /v1/projections/<name>/rebuild`."""
    if name not in VIEWS:
        raise PageError(404, "No such view", f"No view '{name[:40]}'.")
    container().rebuilds.start(name)
    return redirect("/admin/views", code=303)
