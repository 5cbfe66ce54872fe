"""Response schemas shared by the log's resources (they become the OpenAPI spec)."""

from __future__ import annotations

from marshmallow import Schema, fields


class StoredEventSchema(Schema):
    """A development as stored: the envelope plus id, position, version and recorded_at."""

    id = fields.String(metadata={"format": "uuid"})
    position = fields.Integer()
    version = fields.Integer()
    recorded_at = fields.String(metadata={"format": "date-time"})
    schema = fields.Integer()
    type = fields.String()
    subject = fields.String()
    occurred = fields.String(metadata={"description": "EDTF date as given"})
    occurred_range = fields.Dict(metadata={"description": "earliest, latest, precision, flags"})
    parties = fields.List(fields.String())
    title = fields.String()
    summary = fields.String()
    place = fields.Dict()
    sources = fields.List(fields.Dict())
    data = fields.Dict()
    tags = fields.List(fields.String())
    codes = fields.Dict(metadata={"description": "PLOVER and CAMEO codes of the type"})


class EventPageSchema(Schema):
    items = fields.List(fields.Nested(StoredEventSchema))
    next_after = fields.Integer(metadata={"description": "pass as `after` for the next page"})


class EventBatchResultSchema(Schema):
    events = fields.List(fields.Nested(StoredEventSchema))
