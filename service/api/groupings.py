"""The groupings a development may name among its parties, with their members over time."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from events.values.dates import parse_occurred
from events.values.groupings import Grouping, groupings
from service.access import Scope, requires
from service.api import Blueprint
from service.api.moments import MomentArgsSchema

blp = Blueprint("groupings", __name__, url_prefix="/v1", description="Groupings and their members.")


class GroupingSchema(Schema):
    code = fields.String()
    name = fields.String()
    members = fields.List(fields.Dict(), metadata={"description": "party, joined, left"})
    sources = fields.List(fields.Dict())
    as_of = fields.String(allow_none=True)


class GroupingsSchema(Schema):
    items = fields.List(fields.Nested(GroupingSchema))


@blp.route("/groupings")
class Groupings(MethodView):
    @requires(Scope.READ)
    @blp.response(200, GroupingsSchema)
    def get(self) -> Any:
        """Every grouping of the catalogue with its members' periods of membership."""
        return {"items": [_grouping(g, None) for g in groupings().values()]}


@blp.route("/groupings/<code>")
class GroupingView(MethodView):
    @requires(Scope.READ)
    @blp.arguments(MomentArgsSchema(), location="query")
    @blp.response(200, GroupingSchema)
    def get(self, args: dict[str, Any], code: str) -> Any:
        """One grouping; with as_of, its members on that date (the end of it)."""
        grouping = groupings().get(code.upper())
        if grouping is not None:
            return _grouping(grouping, args.get("as_of"))
        abort(404, message=f"No grouping '{code}'; GET /v1/groupings lists them.")
        return None  # unreachable: abort raised


def _grouping(grouping: Grouping, as_of: str | None) -> dict[str, Any]:
    day = parse_occurred(as_of).latest.isoformat() if as_of else None
    members = grouping.members_on(day) if day else list(grouping.members)
    return {
        "code": grouping.code,
        "name": grouping.name,
        "members": [m.as_json() for m in members],
        "sources": list(grouping.sources),
        "as_of": as_of,
    }
