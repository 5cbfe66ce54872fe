"""API tokens: list them (labels, scopes, when made and last used; never a secret), make one
(its secret shown in this answer only), revoke one (its page sessions end with it). Admin."""

from __future__ import annotations

from typing import Any, cast

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from events.schemas.fields import one_of
from projections.paging import Page
from service.access import Scope, requires
from service.api import Blueprint, container
from service.api.paging import LINK_HEADER, PageSchema, PagingArgsSchema, paged
from service.auth import digest_of
from service.store.tokens import TokenRow, token_id

blp = Blueprint("tokens", __name__, url_prefix="/v1", description="API tokens.")
SCOPES = ("read", "write", "admin")


class TokenCreateSchema(Schema):
    scope = one_of(*SCOPES, required=True)
    label = fields.String(load_default="", validate=validate.Length(max=200))


class TokenSchema(Schema):
    id = fields.String()
    scope = one_of(*SCOPES)
    label = fields.String()
    created_at = fields.String()
    last_used_at = fields.String(allow_none=True)
    token = fields.String(metadata={"description": "the secret: in the creation answer only"})


class TokenListSchema(PageSchema):
    items = fields.List(fields.Nested(TokenSchema))


@blp.route("/tokens")
class TokenList(MethodView):
    @requires(Scope.ADMIN)
    @blp.arguments(PagingArgsSchema(), location="query")
    @blp.response(200, TokenListSchema, headers=LINK_HEADER)
    def get(self, args: dict[str, Any]) -> Any:
        """The tokens made by the service (not the one configured as TRACKER_API_TOKEN),
        oldest first, paged."""
        page = tokens_page(args)
        return paged({"items": [shown(row) for row in page.items]}, page.next)

    @requires(Scope.ADMIN)
    @blp.arguments(TokenCreateSchema())
    @blp.response(201, TokenSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Makes a token; the answer carries its secret, shown only now."""
        token, row = create_token(Scope.parse(body["scope"]), body["label"])
        return {**shown(row), "token": token}, {"Location": f"/v1/tokens/{row.id}"}


@blp.route("/tokens/<token_id>")
class TokenItem(MethodView):
    @requires(Scope.ADMIN)
    @blp.response(204)
    def delete(self, token_id: str) -> None:
        """Revokes the token: requests with it are refused and its page sessions end."""
        if not container().auth.revoke(token_id):
            abort(404, message=f"No token '{token_id[:40]}'.")


def create_token(scope: Scope, label: str) -> tuple[str, TokenRow]:
    """A new token, and its row as listed (the use case the page shares)."""
    auth = container().auth
    token = auth.create(scope, label)
    rows = {row.id: row for row in auth.tokens.listed()}
    return token, rows[token_id(digest_of(token))]


def tokens_page(args: dict[str, Any]) -> Page[TokenRow]:
    """The page of tokens `args` ask for (limit, cursor): the API's and the page's."""
    cursor = args.get("cursor")
    return container().auth.tokens.page(cast(tuple[str, str], cursor), args["limit"])


def shown(row: TokenRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "scope": row.scopes,
        "label": row.label,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
    }
