"""One blueprint per resource."""

from __future__ import annotations

from flask import current_app

from service.bootstrap import Container


def container() -> Container:
    """The composition root's objects for the running app."""
    return current_app.extensions["tracker"]
