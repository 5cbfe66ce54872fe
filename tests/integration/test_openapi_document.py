"""What /openapi.json tells: a valid OpenAPI 3.1 document; every closed set of values as an
`enum` equal to what the validator behind the field accepts; one example body per type, the
same as its file; and the webhook a subscriber receives, with the answers that count."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import string
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from marshmallow import Schema, ValidationError
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from events.catalogue import KINDS, TYPES
from events.changes import ChangeKind
from events.schemas import data
from events.schemas.envelope import DevelopmentSchema
from events.schemas.fields import SUBJECT_KINDS, GradeSchema, MoneySchema, SourceSchema
from events.subscription import STATUSES, new_secret
from projections.registry import VIEWS
from service.api import events, projections_admin, search, stream, subscriptions, tokens, views
from service.app import create_app
from service.bootstrap import bootstrap
from service.openapi.examples import DEVELOPMENTS
from service.settings import Settings
from service.webhooks.delivery import Status
from service.webhooks.message import cloudevent, ping, signed_headers
from service.webhooks.retry import RESTS_SUBSCRIPTION
from tests.conftest import ADMIN_TOKEN, auth

Accepts = Callable[[str], bool]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    """The app on an SQLite store of its own: the document does not depend on the store."""
    data_dir = str(tmp_path_factory.mktemp("openapi"))
    container = bootstrap(Settings(data_dir=data_dir, api_token=ADMIN_TOKEN))
    try:
        yield create_app(container).test_client()
    finally:
        container.close()


@pytest.fixture(scope="module")
def document(client: FlaskClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    return answer.get_json()  # type: ignore[no-any-return]


def field_accepts(schema: type[Schema], name: str) -> Accepts:
    """Whether the field `name` of `schema` loads a value: its own validators decide."""
    field = schema().fields[name]

    def accepts(value: str) -> bool:
        try:
            field.deserialize(value)
        except ValidationError:
            return False
        return True

    return accepts


def list_item_accepts(schema: type[Schema], name: str) -> Accepts:
    """Whether the list field `name` loads a list of this one value."""
    field = schema().fields[name]

    def accepts(value: str) -> bool:
        try:
            field.deserialize([value])
        except ValidationError:
            return False
        return True

    return accepts


def currency_accepted(value: str) -> bool:
    """Whether an amount in this currency loads: the check lives in the money's post_load."""
    try:
        MoneySchema().load({"amount": "1", "currency": value})
    except ValidationError:
        return False
    return True


def member_of(values: Iterable[object]) -> Accepts:
    """For a field of an answer, which no validator loads: the set the code writes from."""
    allowed = {str(v) for v in values}
    return lambda value: value in allowed


def schema_property(component: str, name: str, items: bool = False) -> str:
    return f"/components/schemas/{component}/properties/{name}" + ("/items" if items else "")


Parameter = tuple[str, str, str, bool]  # path, where (query of its GET, or path), name, items


def query_parameter(path: str, name: str, items: bool = False) -> Parameter:
    return (path, "query", name, items)


def path_parameter(path: str, name: str) -> Parameter:
    return (path, "path", name, False)


CLOSED: dict[str | Parameter, Accepts] = {
    # what a development is
    schema_property("Development", "type"): field_accepts(DevelopmentSchema, "type"),
    schema_property("MeetingHeldData", "format"): field_accepts(data.MeetingHeldSchema, "format"),
    schema_property("StatementIssuedData", "kind"): field_accepts(
        data.StatementIssuedSchema, "kind"
    ),
    schema_property("AgreementNegotiationUpdatedData", "status"): field_accepts(
        data.NegotiationUpdatedSchema, "status"
    ),
    schema_property("AgreementSignedData", "instrument"): field_accepts(
        data.AgreementSignedSchema, "instrument"
    ),
    schema_property("AgreementRatifiedData", "method"): field_accepts(
        data.AgreementRatifiedSchema, "method"
    ),
    schema_property("AgreementStatusChangedData", "status"): field_accepts(
        data.AgreementStatusChangedSchema, "status"
    ),
    schema_property("DealClinchedData", "stage"): field_accepts(data.DealClinchedSchema, "stage"),
    schema_property("DealUpdatedData", "stage"): field_accepts(data.DealUpdatedSchema, "stage"),
    schema_property("ExerciseConductedData", "domain"): field_accepts(
        data.ExerciseConductedSchema, "domain"
    ),
    schema_property("AssistanceProvidedData", "kind"): field_accepts(
        data.AssistanceProvidedSchema, "kind"
    ),
    schema_property("CooperationAnnouncedData", "area"): field_accepts(
        data.CooperationAnnouncedSchema, "area"
    ),
    schema_property("PeacekeepingContributedData", "role"): field_accepts(
        data.PeacekeepingContributedSchema, "role"
    ),
    schema_property("Money", "currency"): currency_accepted,
    schema_property("Money", "qualifier"): field_accepts(MoneySchema, "qualifier"),
    # filters and choices a request sends
    schema_property("SubscriptionCreate", "types", items=True): list_item_accepts(
        subscriptions.SubscriptionCreateSchema, "types"
    ),
    schema_property("SubscriptionPatch", "types", items=True): list_item_accepts(
        subscriptions.SubscriptionPatchSchema, "types"
    ),
    schema_property("FilterFields", "types", items=True): list_item_accepts(
        subscriptions.FilterFieldsSchema, "types"
    ),
    schema_property("SubscriptionPatch", "status"): field_accepts(
        subscriptions.SubscriptionPatchSchema, "status"
    ),
    query_parameter("/v1/events", "type", items=True): list_item_accepts(
        events.EventQueryArgsSchema, "type"
    ),
    query_parameter("/v1/stream", "type", items=True): list_item_accepts(
        stream.StreamQueryArgsSchema, "type"
    ),
    query_parameter("/v1/agreements", "status"): field_accepts(views.AgreementArgsSchema, "status"),
    query_parameter("/v1/deals", "stage"): field_accepts(views.DealArgsSchema, "stage"),
    query_parameter("/v1/timeline", "type", items=True): list_item_accepts(
        views.TimelineArgsSchema, "type"
    ),
    query_parameter("/v1/timeline", "order"): field_accepts(views.TimelineArgsSchema, "order"),
    query_parameter("/v1/timeline", "min_reliability"): field_accepts(
        views.TimelineArgsSchema, "min_reliability"
    ),
    schema_property("Grade", "reliability"): field_accepts(GradeSchema, "reliability"),
    schema_property("Source", "kind"): field_accepts(SourceSchema, "kind"),
    query_parameter("/v1/search", "type", items=True): list_item_accepts(
        search.SearchArgsSchema, "type"
    ),
    query_parameter("/v1/activity", "period"): field_accepts(views.ActivityArgsSchema, "period"),
    query_parameter("/v1/subscriptions/{subscription_id}/deliveries", "status"): field_accepts(
        subscriptions.DeliveryQuerySchema, "status"
    ),
    query_parameter("/v1/subscriptions/{subscription_id}/deliveries", "order"): field_accepts(
        subscriptions.DeliveryQuerySchema, "order"
    ),
    path_parameter("/v1/projections/{name}/rebuild", "name"): member_of(VIEWS),
    schema_property("TokenCreate", "scope"): field_accepts(tokens.TokenCreateSchema, "scope"),
    # what answers say
    schema_property("StoredEvent", "type"): member_of(TYPES),
    schema_property("Subject", "kind"): member_of(SUBJECT_KINDS),
    schema_property("DevelopmentType", "name"): member_of(TYPES),
    schema_property("DevelopmentType", "kind"): member_of(KINDS),
    schema_property("Subscription", "status"): member_of(STATUSES),
    schema_property("Delivery", "status"): member_of(s.value for s in Status),
    schema_property("Redelivery", "status"): member_of([Status.PENDING.value]),
    schema_property("Change", "kind"): member_of(k.value for k in ChangeKind),
    schema_property("ProjectionState", "name"): member_of(VIEWS),
    schema_property("ProjectionState", "state"): member_of(
        [projections_admin.LIVE, projections_admin.REBUILDING]
    ),
    schema_property("Rebuild", "name"): member_of(VIEWS),
    schema_property("Rebuild", "state"): member_of([projections_admin.REBUILDING]),
    schema_property("Health", "status"): member_of(["ok", "ready"]),
    schema_property("Token", "scope"): member_of(tokens.SCOPES),
    # what a webhook delivery sends
    schema_property("CloudEvent", "type"): member_of(TYPES),
    schema_property("CloudEvent", "specversion"): member_of(["1.0"]),
    schema_property("CloudEvent", "datacontenttype"): member_of(["application/json"]),
    schema_property("PingEvent", "type"): member_of(["tracker.ping"]),
    schema_property("PingEvent", "specversion"): member_of(["1.0"]),
}


def resolve(document: dict[str, Any], where: str | Parameter) -> dict[str, Any]:
    """The JSON schema at a pointer (of components: no '/' in its keys), or of a parameter."""
    if isinstance(where, tuple):
        path, location, name, items = where
        node = document["paths"][path]["get"] if location == "query" else document["paths"][path]
        found = next(
            p["schema"] for p in node["parameters"] if p["in"] == location and p["name"] == name
        )
        return found["items"] if items else found
    schema: Any = document
    for part in where.strip("/").split("/"):
        schema = schema[part]
    return schema


def resolve_pointer(document: dict[str, Any], where: str | Parameter) -> str:
    """The pointer itself, or where a parameter's schema is: a GET operation's query
    parameter, or a parameter of the whole path."""
    if not isinstance(where, tuple):
        return where
    path, location, name, items = where
    holder = f"/paths/{path}/get" if location == "query" else f"/paths/{path}"
    node = document["paths"][path]["get"] if location == "query" else document["paths"][path]
    index = next(
        i for i, p in enumerate(node["parameters"]) if p["in"] == location and p["name"] == name
    )
    return f"{holder}/parameters/{index}/schema" + ("/items" if items else "")


def enums(node: Any, pointer: str = "") -> Iterator[tuple[str, list[Any]]]:
    """Every `enum` in the document, with where it is."""
    if isinstance(node, dict):
        if "enum" in node:
            yield pointer, node["enum"]
        for key, value in node.items():
            yield from enums(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from enums(value, f"{pointer}/{index}")


def near_misses(values: list[str]) -> set[str]:
    """Texts a lax validator might let through beside the listed values."""
    return {
        variant
        for value in values
        for variant in (value.upper(), value.title(), f" {value}", f"{value}x", value[:-1], "")
    }


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


@pytest.mark.parametrize("where", list(CLOSED), ids=str)
def test_each_closed_field_lists_exactly_what_its_validator_accepts(
    document: dict[str, Any], where: str | Parameter
) -> None:
    listed = resolve(document, where).get("enum")
    assert listed, f"{where} has no enum"
    accepts = CLOSED[where]
    refused = [value for value in listed if not accepts(value)]
    assert not refused, f"{where} lists values its validator refuses: {refused}"
    every_listed = {value for _, values in enums(document) for value in values}
    every_kind = {f"{kind}.*" for kind in KINDS}
    others = (every_listed | every_kind | near_misses(listed)) - set(listed)
    let_through = sorted(value for value in others if accepts(value))
    assert not let_through, f"{where} accepts values it does not list: {let_through}"


def test_the_currency_enum_is_every_three_letter_code_money_takes(
    document: dict[str, Any],
) -> None:
    listed = set(resolve(document, schema_property("Money", "currency"))["enum"])
    codes = ("".join(c) for c in itertools.product(string.ascii_uppercase, repeat=3))
    assert {code for code in codes if currency_accepted(code)} == listed


def test_every_enum_in_the_document_is_one_checked_here(document: dict[str, Any]) -> None:
    """A closed set added to the API is added to CLOSED above, so its enum is checked too."""
    checked = {resolve_pointer(document, where) for where in CLOSED}
    unchecked = [pointer for pointer, _ in enums(document) if pointer not in checked]
    assert not unchecked


def test_each_type_with_an_example_file_has_that_body_as_its_example(
    document: dict[str, Any],
) -> None:
    body = document["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    files = {path.stem: json.loads(path.read_text()) for path in DEVELOPMENTS.glob("*.json")}
    assert files
    shown = {name: example["value"] for name, example in body["examples"].items()}
    assert shown == files


def test_a_development_data_is_one_of_the_types_data_schemas(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    choices = schemas["Development"]["properties"]["data"]["anyOf"]
    named = {choice["$ref"].rsplit("/", 1)[1] for choice in choices}
    assert len(named) == len(TYPES)
    assert all(name in schemas for name in named)
    assert schemas["StoredEvent"]["properties"]["data"]["anyOf"] == choices


def test_the_webhook_states_the_body_the_signature_headers_and_the_answers(
    document: dict[str, Any],
) -> None:
    delivery = document["webhooks"]["development"]["post"]
    body = delivery["requestBody"]["content"]["application/cloudevents+json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CloudEvent"}
    cloudevent = document["components"]["schemas"]["CloudEvent"]
    assert set(cloudevent["required"]) >= {"specversion", "id", "type", "source", "time", "data"}
    headers = {p["name"] for p in delivery["parameters"] if p["in"] == "header" and p["required"]}
    assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    answers = delivery["responses"]
    assert {"2XX", "410", "default"} <= set(answers)
    assert {str(status) for status in RESTS_SUBSCRIPTION} <= set(answers)
    assert "disabled" in answers["410"]["description"]
    assert "rests" in answers["429"]["description"]


def matches_component(document: dict[str, Any], name: str, instance: Any) -> None:
    """Validates `instance` against a component of the document, its references resolved."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    OAS31Validator(schema).validate(instance)


def test_what_a_delivery_sends_is_what_the_webhook_entry_describes(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    body = json.loads((DEVELOPMENTS / "assistance.provided.json").read_text())
    posted = client.post("/v1/events", json=body, headers=auth())
    assert posted.status_code == 201, posted.get_json()
    now = dt.datetime.now(dt.UTC)
    delivered = cloudevent(posted.get_json())
    matches_component(document, "CloudEvent", json.loads(delivered))
    ping_id, ping_body = ping("subscription:any", now)
    matches_component(document, "PingEvent", json.loads(ping_body))
    sent = signed_headers(ping_id, ping_body, [new_secret()], now)
    delivery = document["webhooks"]["development"]["post"]
    documented = {p["name"] for p in delivery["parameters"] if p["in"] == "header"}
    assert documented == set(sent) - {"Content-Type"}
    assert sent["Content-Type"] in delivery["requestBody"]["content"]


def test_the_stream_is_documented_as_server_sent_events(document: dict[str, Any]) -> None:
    operation = document["paths"]["/v1/stream"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert "503" in operation["responses"]
    query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert query == {"after", "type", "party", "include_groupings", "subject"}
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert "Last-Event-ID" in headers
