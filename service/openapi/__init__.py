"""What `/openapi.json` tells beyond the routes' own schemas, added once as the app is built.

- `data.py`: each development type's `data` as a component; `data` fields as one of them.
- `examples.py`: one example body per type, read from config/examples/developments/.
- `webhooks.py`: the OpenAPI 3.1 `webhooks` entry: what a delivery sends and how answers count.
"""

from __future__ import annotations

from typing import Any

from service.openapi.data import describe_type_data
from service.openapi.webhooks import describe_webhooks
from service.settings import Settings


def describe(api: Any, settings: Settings) -> None:
    """Adds the components and entries the routes do not declare to `api`'s document."""
    describe_type_data(api.spec, api.ma_plugin.converter)
    describe_webhooks(api.spec, settings)
