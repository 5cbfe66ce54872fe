"""The ways in and out, and the one place that wires them.

- `bootstrap.py`: the composition root (store, record, views, webhooks, tokens from settings).
- `settings.py`: settings (config/default.toml, a TOML file, TRACKER_* variables).
- `app.py`: the Flask app factory; `api/`: one blueprint per resource.
- `openapi/`: what /openapi.json tells beyond the routes: types' data, examples, webhooks.
- `access.py`: who may call a route, declared on each view; `auth.py`: tokens and scopes.
- `errors.py`, `problems.py`: every error as RFC 9457 problem+json.
- `metrics.py`: Prometheus metrics; `json_provider.py`: orjson responses.
- `webhooks/`: subscriptions' use cases, the outbox, the dispatcher and its HTTP client.
- `store/`: the library's recorders extended with the log index, keys and tokens.
- `cli.py` and `commands/`: the `tracker` command; `wsgi.py`: for other WSGI servers.
"""
