"""Subjects: one stream's events in version order, and where it stands."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from events.errors import SubjectNotFound
from events.queries import SubjectHistory, occurred_by
from events.schemas.fields import SUBJECT_KINDS, SUBJECT_PATTERN, one_of
from service.access import Scope, requires
from service.api import Blueprint, container
from service.api.moments import AsOfKnownAtArgsSchema, moment_of
from service.api.schemas import StoredEventSchema

blp = Blueprint("subjects", __name__, url_prefix="/v1", description="Streams of developments.")


class SubjectSchema(Schema):
    subject = fields.String()
    kind = one_of(*SUBJECT_KINDS)
    version = fields.Integer()
    events = fields.List(fields.Nested(StoredEventSchema))
    state = fields.Dict(metadata={"description": "developments as corrected, and retracted ids"})


@blp.route("/subjects/<path:subject>")
class SubjectView(MethodView):
    @requires(Scope.READ)
    @blp.arguments(AsOfKnownAtArgsSchema(), location="query")
    @blp.response(200, SubjectSchema)
    def get(self, args: dict[str, Any], subject: str) -> Any:
        """Returns a subject's events in version order and its state, as of a date and as
        known at a moment when asked."""
        history = subject_history(subject, args)
        return {
            "subject": history.subject,
            "kind": history.kind,
            "version": history.version,
            "events": history.events,
            "state": history.state,
        }, {"ETag": f'"{history.version}"'}


def subject_history(subject: str, args: dict[str, Any]) -> SubjectHistory:
    """The subject as the record stood at `known_at`, cut to what had occurred by `as_of`;
    SubjectNotFound for a name no subject can have, as for one never recorded."""
    if not SUBJECT_PATTERN.fullmatch(subject):
        raise SubjectNotFound(subject)
    history = container().record.subject(subject, args.get("known_at"))
    moment = moment_of(args)
    return history if moment.as_of is None else occurred_by(history, moment.as_of)
