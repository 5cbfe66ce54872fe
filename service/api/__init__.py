"""One blueprint per resource (flask-smorest): `events` (the log), `subjects`, `views` (the
current-state views), `projections_admin` (view positions and rebuilds), `subscriptions`
(webhooks), `health` (liveness, readiness, the type catalogue); `moments` holds the arguments
every view takes and `schemas` the schemas the log's resources share. Each view declares who
may call it (`service/access.py`)."""

from __future__ import annotations

import flask_smorest
from flask import current_app

from service.access import security
from service.bootstrap import Container


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """A flask-smorest blueprint whose operations state the scope their views declare."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(security)


def container() -> Container:
    """The composition root's objects for the running app."""
    return current_app.extensions["tracker"]
