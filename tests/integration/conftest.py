"""Fixtures the integration tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.bootstrap import Container
from tests.conftest import LiveServer
from tests.integration.test_views import load_examples


@pytest.fixture
def live_views(container: Container) -> Iterator[LiveServer]:
    """A live server whose views follow the log, loaded with the example data."""
    load_examples(container)
    container.follow_log()
    with LiveServer(container) as server:
        yield server
