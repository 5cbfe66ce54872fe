"""One blueprint per resource (flask-smorest): `events` (the log), `subjects`, `views` (the
current-state views), `changes` (what changed between two record moments), `projections_admin`
(view positions and rebuilds), `subscriptions` (webhooks), `health` (liveness, readiness, the
type catalogue); `moments` holds the arguments every view takes and `schemas` the schemas the
log's resources share. Each view declares who may call it (`service/access.py`)."""

from __future__ import annotations

from typing import Any

import flask
import flask_smorest
from flask import current_app
from marshmallow import RAISE
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from service.access import security
from service.bootstrap import Container
from service.openapi.examples import add_request_examples
from service.request_body import parse_body


class ArgumentsParser(FlaskParser):
    """Every route's arguments: bodies parsed strictly (`service/request_body.py`), and a
    query parameter no schema names is refused rather than ignored (`?partys=PH` would
    otherwise answer everything). Headers stay tolerant: proxies and clients add their own."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return parse_body(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """A flask-smorest blueprint whose operations state the scope their views declare, and
    the example bodies they declare."""

    ARGUMENTS_PARSER = ArgumentsParser()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(security)
        self._prepare_doc_cbks.append(add_request_examples)


def container() -> Container:
    """The composition root's objects for the running app."""
    return current_app.extensions["tracker"]
