"""Liveness, readiness and the catalogue of development types."""

from __future__ import annotations

from typing import Any, Protocol, cast

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from events.catalogue import KINDS, TYPES
from events.schemas.fields import one_of
from projections.registry import VIEWS
from service.access import Scope, public, requires
from service.api import Blueprint, container

# /readyz asks the store for the log's head with this bound, so that it answers 503 at once
# while the store is away (it took 61 s with PostgreSQL stopped). /healthz never asks it.
PROBE_SECONDS = 1.0


class Probe(Protocol):
    def max_position_within(self, seconds: float) -> int: ...


blp = Blueprint("operations", __name__, description="Health and the type catalogue.")


class HealthSchema(Schema):
    status = one_of("ok", "ready")
    position = fields.Integer()


class DevelopmentTypeSchema(Schema):
    name = one_of(*sorted(TYPES))
    kind = one_of(*KINDS)
    plover = fields.String()
    cameo = fields.String()
    schema_version = fields.Integer()
    data_fields = fields.Dict()


@blp.route("/healthz")
class Health(MethodView):
    @public
    @blp.response(200, HealthSchema)
    def get(self) -> Any:
        """The process is alive (the store is not asked: that is readiness)."""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @public
    @blp.response(200, HealthSchema)
    def get(self) -> Any:
        """The store answers and the views are not far behind the log."""
        c = container()
        try:
            position = cast(Probe, c.record.recorder).max_position_within(PROBE_SECONDS)
            views = c.views.position(*VIEWS)
        except Exception:  # any store failure means not ready
            abort(503, message="The store is not reachable.", headers={"Retry-After": "5"})
        if position - views > c.settings.ready_max_lag:
            abort(
                503,
                message=f"The views are {position - views} events behind the log.",
                headers={"Retry-After": "5"},
            )
        return {"status": "ready", "position": position}


@blp.route("/v1/types")
class Types(MethodView):
    @requires(Scope.READ)
    @blp.response(200, DevelopmentTypeSchema(many=True))
    def get(self) -> Any:
        """Lists the development types with their PLOVER and CAMEO codes and data fields."""
        return [
            {
                "name": t.name,
                "kind": t.kind,
                "plover": t.plover,
                "cameo": t.cameo,
                "schema_version": t.schema_version,
                "data_fields": {
                    name: {"required": f.required, "type": type(f).__name__}
                    for name, f in t.data_schema().fields.items()
                },
            }
            for t in TYPES.values()
        ]
