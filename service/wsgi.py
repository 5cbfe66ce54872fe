"""A WSGI application factory for servers other than `tracker serve`, e.g.
`waitress-serve --call service.wsgi:build` or `gunicorn 'service.wsgi:build()'`.
It is called after the server has forked, so each process builds its own store connections."""

from __future__ import annotations

from flask import Flask

from service.app import create_app
from service.bootstrap import bootstrap
from service.settings import load_settings


def build() -> Flask:
    return create_app(bootstrap(load_settings()))
