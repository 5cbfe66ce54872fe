"""A WSGI application factory for servers other than `tracker serve`, e.g.
`waitress-serve --call service.wsgi:build` or `gunicorn 'service.wsgi:build()'`.
It is called after the server has forked, so each process builds its own store connections.
The process logs and takes its interpreter turns as `tracker serve` does; it serves the API
only (as `tracker serve --api-only`): views and webhooks run in `tracker worker`."""

from __future__ import annotations

from flask import Flask

from service.app import create_app
from service.bootstrap import bootstrap
from service.commands.serving import prepare_process
from service.settings import load_settings


def build() -> Flask:
    settings = load_settings()
    prepare_process(settings)
    return create_app(bootstrap(settings))
