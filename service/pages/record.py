"""`/record` (write): pick a development type, then fill a form built from that type's schema
(closed sets as choices, a currency choice for money, EDTF dates with examples, a fixed number
of rows for repeatable sources and people), checked by the same schemas as `POST /v1/events`,
each problem shown beside its field. Each form carries its own idempotency key, so a double
click or a page sent again records one development."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import pycountry
from flask import redirect, render_template, request
from marshmallow import Schema, ValidationError, fields, validate

from events.catalogue import TYPES
from events.errors import DevelopmentRejected
from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from events.schemas.fields import Country, EDTFDate, StrictBoolean
from events.values.parties import UnknownCountry, to_alpha3
from service.access import Scope, requires
from service.api import container
from service.pages.site import PageError, blp

ROWS = 2  # blank rows offered for each repeatable part (sources, people)
KEY = re.compile(r"[A-Za-z0-9_-]{20,100}\Z")
RECORDABLE = sorted(name for name, kind in TYPES.items() if not kind.is_amendment)
DATE_HINT = "EDTF: 2025-09-05, 2025-09, 2025, 2025-09-05/2025-09-07, 2025?"


@dataclass
class Input:
    """One control of the form: its dotted path in the development, how it is entered."""

    path: str
    label: str
    kind: str = "text"  # text, select, lines (one item a line), textarea
    choices: tuple[str, ...] = ()
    hint: str = ""
    required: bool = False
    country: bool = False  # a country: a name is taken for its code
    value: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return "f-" + self.path.replace(".", "-")


@dataclass
class Group:
    legend: str
    inputs: list[Input]


def envelope() -> list[Group]:
    sources = [
        Group(
            f"Source {i + 1}",
            [
                Input(f"sources.{i}.url", "Address (https://...)", required=i == 0),
                Input(f"sources.{i}.publisher", "Publisher"),
                Input(f"sources.{i}.published", "Published", hint=DATE_HINT),
            ],
        )
        for i in range(ROWS)
    ]
    return [
        Group(
            "What happened",
            [
                Input("subject", "Subject", required=True, hint="e.g. meeting:jpn-aus-2025-09"),
                Input("occurred", "Occurred", required=True, hint=DATE_HINT),
                Input(
                    "parties",
                    "Parties",
                    required=True,
                    hint="Country codes or names, one a line",
                    country=True,
                ),
                Input("title", "Title", required=True),
                Input("summary", "Summary", kind="textarea"),
                Input("place.name", "Place"),
                Input(
                    "place.country",
                    "Place's country",
                    hint="A code (JP, JPN) or a name",
                    country=True,
                ),
            ],
        ),
        *sources,
    ]


def data_groups(schema: Schema, prefix: str = "data") -> list[Group]:
    """The type's own fields: nested ones as groups, lists of nested ones as ROWS groups."""
    plain: list[Input] = []
    groups: list[Group] = []
    for name, declared in schema.fields.items():
        path, label = f"{prefix}.{name}", name.replace("_", " ").capitalize()
        if isinstance(declared, fields.Nested):
            groups.append(Group(label, data_groups(declared.schema, path)[0].inputs))
        elif isinstance(declared, fields.List) and isinstance(declared.inner, fields.Nested):
            inner = declared.inner.schema
            for i in range(ROWS):
                rows = data_groups(inner, f"{path}.{i}")[0].inputs
                groups.append(
                    Group(f"{label[:-1] if label.endswith('s') else label} {i + 1}", rows)
                )
        else:
            plain.append(_input(path, label, declared))
    return [Group("Details", plain), *groups]


def _input(path: str, label: str, declared: fields.Field[Any]) -> Input:
    required = bool(declared.required)
    choices = _choices(declared)
    if choices:
        return Input(path, label, "select", choices, required=required)
    if isinstance(declared, StrictBoolean | fields.Boolean):
        return Input(path, label, "select", ("true", "false"), required=required)
    if isinstance(declared, fields.List):
        country = isinstance(declared.inner, Country)
        hint = "One a line" + (": codes or names" if country else "")
        return Input(path, label, "lines", hint=hint, required=required, country=country)
    hint = DATE_HINT if isinstance(declared, EDTFDate) else ""
    if isinstance(declared, Country):
        return Input(
            path, label, hint="A code (JP, JPN) or a name", required=required, country=True
        )
    return Input(path, label, hint=hint, required=required)


def _choices(declared: fields.Field[Any]) -> tuple[str, ...]:
    listed = (declared.metadata or {}).get("enum")
    if listed:
        return tuple(listed)
    for check in declared.validators:
        if isinstance(check, validate.OneOf):
            return tuple(str(c) for c in check.choices)
    return ()


def form_of(kind: str) -> list[Group]:
    return [*envelope(), *data_groups(TYPES[kind].schema())]


def read_form(groups: list[Group], sent: dict[str, str]) -> dict[str, Any]:
    """The development the form describes: blanks left out, a row left blank dropped."""
    development: dict[str, Any] = {}
    for group in groups:
        for control in group.inputs:
            control.value = sent.get(control.path, "")[:10_000]
            raw = control.value.strip()
            if not raw:
                continue
            value: Any = raw
            if control.kind == "lines" or control.path == "parties":
                value = [line.strip() for line in re.split(r"[\n,]", raw) if line.strip()]
            elif control.choices == ("true", "false"):
                value = raw == "true"
            elif raw.isdigit() and control.path.endswith(("quantity", "sequence")):
                value = int(raw)
            if control.country:
                value = [code_of(v) for v in value] if isinstance(value, list) else code_of(value)
            _put(development, control.path.split("."), value)
    return _lists(development)


def code_of(country: str) -> str:
    """A country's code from its code or its name ('Australia' is AUS); anything else as
    typed, for the schema to refuse in its own words."""
    try:
        return to_alpha3(country)
    except UnknownCountry:
        pass
    try:
        return str(pycountry.countries.lookup(country).alpha_3)
    except LookupError:
        return country


def _put(into: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        into = into.setdefault(part, {})
    into[path[-1]] = value


def _lists(value: Any) -> Any:
    """Rows kept as {"0": ..., "1": ...} become lists (in order, blank rows gone)."""
    if not isinstance(value, dict):
        return value
    if value and all(key.isdigit() for key in value):
        return [_lists(value[key]) for key in sorted(value, key=int)]
    return {key: _lists(item) for key, item in value.items()}


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(messages, dict):
        found: dict[str, list[str]] = {}
        for key, inner in messages.items():
            found.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix: list(messages)}
    return {prefix: [str(messages)]}


def show_problems(groups: list[Group], problems: dict[str, list[str]]) -> list[str]:
    """Each problem beside its field; those of no one field (or of a list) for the top."""
    controls = {c.path: c for g in groups for c in g.inputs}
    elsewhere = []
    for where, messages in problems.items():
        path = where.removesuffix("._schema")
        target = (
            controls.get(path) or controls.get(f"{path}.0.url") or controls.get(f"{path}.0.name")
        )
        if target is None:
            target = next((c for p, c in controls.items() if p.startswith(path + ".")), None)
        if target is None:
            elsewhere += [f"{path}: {m}" for m in messages]
        else:
            target.problems += messages
    return elsewhere


@blp.get("/record")
@requires(Scope.WRITE)
def record_page() -> Any:
    return render_template(
        "record_pick.html",
        title="Record a development",
        shown=None,
        json_url=None,
        kinds=RECORDABLE,
    )


@blp.get("/record/<kind>")
@requires(Scope.WRITE)
def record_form(kind: str) -> Any:
    if kind not in RECORDABLE:
        raise PageError(404, "No such type", f"No development type '{kind[:60]}'.")
    return _form(kind, form_of(kind), secrets.token_urlsafe(24), [])


@blp.post("/record/<kind>")
@requires(Scope.WRITE)
def record(kind: str) -> Any:
    if kind not in RECORDABLE:
        raise PageError(404, "No such type", f"No development type '{kind[:60]}'.")
    key = request.form.get("idempotency_key", "")
    if not KEY.match(key):
        raise PageError(422, "The form is incomplete", "Reload the form and send it again.")
    groups = form_of(kind)
    development = {"type": kind, **read_form(groups, request.form.to_dict())}
    development.setdefault("data", {})
    try:
        loaded = DevelopmentSchema().load(development)
        appended = container().record.append([Posting(loaded)], f"page:{key}")
    except ValidationError as error:
        return _form(kind, groups, key, show_problems(groups, flatten(error.messages))), 422
    except DevelopmentRejected as error:
        return _form(kind, groups, key, show_problems(groups, dict(error.problems))), 422
    event = appended.events[0]
    return redirect(f"/subjects/{event['subject']}#e-{event['id']}", code=303)


def _form(kind: str, groups: list[Group], key: str, problems: list[str]) -> str:
    return render_template(
        "record.html",
        title=f"Record: {kind.replace('.', ' ').replace('_', ' ')}",
        shown=None,
        json_url=None,
        kind=kind,
        groups=groups,
        key=key,
        problems=problems,
    )
