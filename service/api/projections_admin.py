"""The views' own state: position, lag, rate; and rebuilds."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from events.schemas.fields import one_of
from projections.registry import VIEWS
from service.access import Scope, requires
from service.api import Blueprint, container

blp = Blueprint("projections", __name__, url_prefix="/v1", description="View state and rebuilds.")


LIVE, REBUILDING = "live", "rebuilding"


class ProjectionStateSchema(Schema):
    name = one_of(*VIEWS)
    state = one_of(LIVE, REBUILDING, metadata={"description": "live, or rebuilding"})
    generation = fields.Integer()
    position = fields.Integer()
    head = fields.Integer()
    lag = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "events/s in this process"})
    rebuild = fields.Dict(allow_none=True)


class ProjectionListSchema(Schema):
    head = fields.Integer()
    items = fields.List(fields.Nested(ProjectionStateSchema))


class RebuildSchema(Schema):
    name = one_of(*VIEWS)
    generation = fields.Integer()
    state = one_of(REBUILDING)


@blp.route("/projections")
class Projections(MethodView):
    @requires(Scope.READ)
    @blp.response(200, ProjectionListSchema)
    def get(self) -> Any:
        """Each view's position, lag behind the log, state and rate."""
        c = container()
        head = c.record.max_position()
        return {"head": head, "items": [view_state(name, head) for name in VIEWS]}


@blp.route(
    "/projections/<name>/rebuild",
    # the path's view name is a closed set too: the document lists it (unknown names: 404)
    parameters=[{"in": "path", "name": "name", "schema": {"type": "string", "enum": list(VIEWS)}}],
)
class Rebuild(MethodView):
    @requires(Scope.ADMIN)
    @blp.response(202, RebuildSchema)
    def post(self, name: str) -> Any:
        """Rebuilds a view from the start beside the live one, which serves until the swap."""
        if name not in VIEWS:
            abort(404, message=f"No view '{name}'; views: {', '.join(VIEWS)}.")
        generation = container().rebuilds.start(name)
        return {"name": name, "generation": generation, "state": REBUILDING}


def view_state(name: str, head: int) -> dict[str, Any]:
    c = container()
    catalog = c.views.catalog
    generations = catalog.generations(name)
    position = catalog.position(name, generations.active)
    runner = c.runner
    state: dict[str, Any] = {
        "name": name,
        "state": LIVE,
        "generation": generations.active,
        "position": position,
        "head": head,
        "lag": max(0, head - position),
        "rate": round(runner.stats[name].rate, 1) if runner else None,
        "rebuild": None,
    }
    if generations.pending is not None:
        rebuilt = catalog.position(name, generations.pending)
        status = c.rebuilds.status(name)
        state["state"] = REBUILDING
        state["rebuild"] = {
            "generation": generations.pending,
            "position": rebuilt,
            "progress": round(rebuilt / head, 4) if head else 1.0,
            "rate": round(status.stats.rate, 1) if status else None,
        }
    return state
