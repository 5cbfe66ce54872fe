"""From a subject's page (write): "correct this", a form pre-filled with the development as
it stands that sends only what changed, with a reason and a source; and "retract", with a
reason and a source. Recorded as `development.corrected` and `development.retracted` through
the same schema and use case as `POST /v1/events`, each form with its own idempotency key."""

from __future__ import annotations

import secrets
from typing import Any

from flask import redirect, render_template, request
from marshmallow import ValidationError

from events.errors import DevelopmentRejected, EventNotFound
from events.record import Posting
from events.schemas.envelope import DevelopmentSchema
from service.access import Scope, requires
from service.api import container
from service.api.events import UUID_PATTERN
from service.api.subjects import subject_history
from service.pages.record import KEY, flatten
from service.pages.site import PageError, blp

EDITABLE = ("occurred", "title", "summary")


@blp.get("/correct/<event_id>")
@requires(Scope.WRITE)
def correct_form(event_id: str) -> Any:
    current = _current(event_id)
    return _page("correct", current, {k: str(current.get(k) or "") for k in EDITABLE}, {})


@blp.post("/correct/<event_id>")
@requires(Scope.WRITE)
def correct(event_id: str) -> Any:
    current = _current(event_id)
    sent = {k: request.form.get(k, "").strip()[:5000] for k in EDITABLE}
    changes = {k: v for k, v in sent.items() if v and v != str(current.get(k) or "")}
    if not changes:
        return _page("correct", current, sent, {"occurred": ["Nothing was changed."]}), 422
    return _record("correct", current, sent, "development.corrected", {"changes": changes})


@blp.get("/retract/<event_id>")
@requires(Scope.WRITE)
def retract_form(event_id: str) -> Any:
    return _page("retract", _current(event_id), {}, {})


@blp.post("/retract/<event_id>")
@requires(Scope.WRITE)
def retract(event_id: str) -> Any:
    return _record("retract", _current(event_id), {}, "development.retracted", {})


def _record(
    action: str, current: dict[str, Any], sent: dict[str, str], kind: str, data: dict[str, Any]
) -> Any:
    key = request.form.get("idempotency_key", "")
    if not KEY.match(key):
        raise PageError(422, "The form is incomplete", "Reload the form and send it again.")
    url = request.form.get("source", "").strip()
    development = {
        "type": kind,
        "subject": current["subject"],
        "occurred": sent.get("occurred") or current["occurred"],
        "parties": current["parties"],
        "title": f"{'Correction' if action == 'correct' else 'Retraction'}: {current['title']}"[
            :300
        ],
        "sources": [{"url": url}] if url else [],
        "data": {"target": current["id"], "reason": request.form.get("reason", "").strip(), **data},
    }
    try:
        loaded = DevelopmentSchema().load(development)
        container().record.append([Posting(loaded)], f"page:{key}")
    except ValidationError as error:
        return _page(action, current, sent, _beside(flatten(error.messages)), key), 422
    except DevelopmentRejected as error:
        return _page(action, current, sent, _beside(dict(error.problems)), key), 422
    return redirect(f"/subjects/{current['subject']}#e-{current['id']}", code=303)


def _beside(problems: dict[str, list[str]]) -> dict[str, list[str]]:
    """Problems by the form's own names: the reason, the source, the fields changed."""
    named: dict[str, list[str]] = {}
    for path, messages in problems.items():
        name = path.split(".")[-1] if path.startswith("data.") else path.split(".")[0]
        name = {"sources": "source", "url": "source", "changes": "occurred"}.get(name, name)
        named.setdefault(name, []).extend(messages)
    return named


def _current(event_id: str) -> dict[str, Any]:
    """The development as it stands now (corrected), by its event id."""
    if not UUID_PATTERN.fullmatch(event_id):
        raise PageError(404, "No such development", f"No development '{event_id[:40]}'.")
    try:
        event = container().record.event(event_id.lower())
    except EventNotFound as error:
        raise PageError(404, "No such development", str(error)) from None
    history = subject_history(event["subject"], {})
    for development in history.state["developments"]:
        if development["id"] == event["id"]:
            return dict(development)
    raise PageError(404, "No such development", "It is not a development of its subject.")


def _page(
    action: str,
    current: dict[str, Any],
    sent: dict[str, str],
    problems: dict[str, list[str]],
    key: str | None = None,
) -> str:
    return render_template(
        "amend.html",
        title=f"{'Correct' if action == 'correct' else 'Retract'}: {current['title']}",
        shown=None,
        json_url=f"/v1/events/{current['id']}",
        action=action,
        current=current,
        sent=sent,
        editable=EDITABLE,
        problems=problems,
        key=key or secrets.token_urlsafe(24),
        reason=request.form.get("reason", ""),
        source=request.form.get("source", ""),
    )
