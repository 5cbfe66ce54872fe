"""Subjects: one stream's events in version order, and where it stands."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from events.schemas.fields import SUBJECT_PATTERN
from service.access import Scope, requires
from service.api import Blueprint, container
from service.api.schemas import StoredEventSchema

blp = Blueprint("subjects", __name__, url_prefix="/v1", description="Streams of developments.")


class SubjectSchema(Schema):
    subject = fields.String()
    kind = fields.String()
    version = fields.Integer()
    events = fields.List(fields.Nested(StoredEventSchema))
    state = fields.Dict(metadata={"description": "developments as corrected, and retracted ids"})


@blp.route("/subjects/<path:subject>")
class SubjectView(MethodView):
    @requires(Scope.READ)
    @blp.response(200, SubjectSchema)
    def get(self, subject: str) -> Any:
        """Returns a subject's events in version order and its current state."""
        if not SUBJECT_PATTERN.fullmatch(subject):
            abort(404, message=f"No subject '{subject}' has been recorded.")
        history = container().record.subject(subject)
        return {
            "subject": history.subject,
            "kind": history.kind,
            "version": history.version,
            "events": history.events,
            "state": history.state,
        }, {"ETag": f'"{history.version}"'}
