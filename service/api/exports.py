"""Exports researchers take the record out in: PLOVER records (JSON lines), the timeline as
CSV, and the dyad-year panel of agreements in force. Each answers as_of/known_at like every
view, is streamed, and states the moment and log position it reflects in its headers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from flask import Response, stream_with_context
from flask.views import MethodView
from marshmallow import ValidationError, fields, validate, validates_schema

from events.schemas.fields import Party
from events.values.groupings import memberships_of
from events.values.parties import is_country
from projections import agreements, timeline
from projections.facts import Moment
from projections.lifecycle import in_force_on
from projections.relationships import pair_key
from service.access import Scope, requires
from service.api import Blueprint, container
from service.api.moments import MomentArgsSchema, moment_of, read_view
from service.api.plover import plover_record, plover_schema
from service.api.schemas import PartyArgsSchema

blp = Blueprint("exports", __name__, url_prefix="/v1", description="Exports for research.")
TIMELINE_COLUMNS = (
    "id",
    "occurred",
    "earliest",
    "latest",
    "precision",
    "type",
    "subject",
    "parties",
    "title",
    "confidence",
    "sources",
    "position",
)
PANEL_COLUMNS = ("pair", "year", "agreements_in_force", "agreements_signed")
MAX_PANEL_YEARS = 200


class ExportArgsSchema(MomentArgsSchema, PartyArgsSchema):
    """Every development, or a party's (with include_groupings, also its groupings')."""


class PanelArgsSchema(MomentArgsSchema):
    from_ = fields.Integer(data_key="from", required=True, validate=validate.Range(1, 9999))
    to = fields.Integer(required=True, validate=validate.Range(1, 9999))
    party = Party()

    @validates_schema
    def check_years(self, data: dict[str, Any], **_: Any) -> None:
        if "from_" in data and "to" in data:
            if data["to"] < data["from_"]:
                raise ValidationError("Must not be before from.", "to")
            if data["to"] - data["from_"] >= MAX_PANEL_YEARS:
                raise ValidationError(f"At most {MAX_PANEL_YEARS} years.", "to")


@blp.route("/schemas/plover.json")
class PloverSchema(MethodView):
    @requires(Scope.READ)
    def get(self) -> Any:
        """The JSON Schema (2020-12) every line of the PLOVER export meets."""
        return Response(orjson.dumps(plover_schema()), mimetype="application/schema+json")


@blp.route("/export/plover.jsonl")
class PloverExport(MethodView):
    @requires(Scope.READ)
    @blp.arguments(ExportArgsSchema(), location="query")
    def get(self, args: dict[str, Any]) -> Any:
        """One PLOVER record per development, a JSON object a line."""
        position = read_view(args, "timeline")
        bodies = _developments(args)
        lines = (orjson.dumps(plover_record(b)) + b"\n" for b in bodies)
        return _streamed(lines, "application/x-ndjson", args, position)


@blp.route("/export/timeline.csv")
class TimelineExport(MethodView):
    @requires(Scope.READ)
    @blp.arguments(ExportArgsSchema(), location="query")
    def get(self, args: dict[str, Any]) -> Any:
        """Every development in order of occurrence, a CSV row each."""
        position = read_view(args, "timeline")
        rows = (_timeline_row(b) for b in _developments(args))
        return _streamed(_csv(TIMELINE_COLUMNS, rows), "text/csv", args, position)


@blp.route("/panels/agreements-in-force.csv")
class AgreementsPanel(MethodView):
    @requires(Scope.READ)
    @blp.arguments(PanelArgsSchema(), location="query")
    def get(self, args: dict[str, Any]) -> Any:
        """One row per pair of countries and year: agreements in force then, signed then."""
        position = read_view(args, "agreements")
        rows = _panel(moment_of(args), args["from_"], args["to"], args.get("party"))
        return _streamed(_csv(PANEL_COLUMNS, rows), "text/csv", args, position)


def _developments(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Every development at the moment asked for, or the party's (and its groupings')."""
    party = args.get("party")
    groupings = memberships_of(party) if party and args.get("include_groupings") else None
    rows = timeline.party_rows(container().views, moment_of(args), party, groupings)
    return [timeline.with_confidence(row.body) for row in rows]


def _timeline_row(body: dict[str, Any]) -> list[Any]:
    record = plover_record(body)
    return [
        body["id"],
        body["occurred"],
        record["date_earliest"],
        record["date_latest"],
        record["date_precision"],
        body["type"],
        body["subject"],
        ";".join(body["parties"]),
        body["title"],
        body["confidence"],
        record["cite_info"],
        body["position"],
    ]


def _panel(moment: Moment, first: int, last: int, party: str | None) -> Iterator[list[Any]]:
    reader = container().views
    years: dict[int, list[dict[str, Any]]] = {}
    for year in range(first, last + 1):
        end = min(f"{year:04d}-12-31", moment.as_of or "9999-12-31")
        years[year] = agreements.agreements(reader, Moment(as_of=end, known_at=moment.known_at))
    pairs = sorted({key for states in years.values() for s in states for key in _pairs(s)})
    if party:
        pairs = [p for p in pairs if party in p.split("-")]
    for pair, year in itertools.product(pairs, years):
        states = [s for s in years[year] if pair in _pairs(s)]
        signed = sum(1 for s in states if str(s.get("signed", ""))[:4] == f"{year:04d}")
        in_force = sum(1 for s in states if _in_force_between(s, pair))
        yield [pair, year, in_force, signed]


def _pairs(state: dict[str, Any]) -> set[str]:
    countries = sorted(p for p in state["parties"] if is_country(p))
    return {pair_key(a, b) for a, b in itertools.combinations(countries, 2)}


def _in_force_between(state: dict[str, Any], pair: str) -> bool:
    if not in_force_on(state):
        return False
    return all(state["parties"][p]["status"] == "in_force" for p in pair.split("-"))


def _csv(columns: Iterable[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _streamed(
    chunks: Iterator[bytes], mimetype: str, args: dict[str, Any], position: int
) -> Response:
    known_at = args.get("known_at") or dt.datetime.now(dt.UTC)
    headers = {
        "Tracker-Position": str(position),
        "Tracker-Known-At": known_at.isoformat().replace("+00:00", "Z"),
        "Tracker-As-Of": args.get("as_of", ""),
    }
    return Response(stream_with_context(chunks), mimetype=mimetype, headers=headers)
