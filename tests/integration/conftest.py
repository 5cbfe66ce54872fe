"""Fixtures the integration tests share: live servers, and the example data on each store
(one store of each kind shared by a module's tests that only read, and one of its own for a
test that appends)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.bootstrap import Container, bootstrap
from service.settings import Settings
from tests.conftest import ADMIN_TOKEN, LiveServer, fresh_postgres_schema, postgres_url_for
from tests.integration.test_views import catch_up, load_examples


@pytest.fixture
def live_views(container: Container) -> Iterator[LiveServer]:
    """A live server whose views follow the log, loaded with the example data."""
    load_examples(container)
    container.follow_log()
    with LiveServer(container) as server:
        yield server


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared_examples(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Container]:
    """One store of each kind with the example data for the tests that only read (and those
    refused before anything is read): loading it for each test took most of the module's
    time on PostgreSQL."""
    folder = tmp_path_factory.mktemp("pages")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{folder / 'store' / 'tracker.db'}"
        else:
            url = postgres_url_for(stack.enter_context(fresh_postgres_schema()))
        built = bootstrap(
            Settings(database_url=url, data_dir=str(folder / "data"), api_token=ADMIN_TOKEN)
        )
        stack.callback(built.close)
        yield with_examples(built)


@pytest.fixture
def client(shared_examples: Container) -> FlaskClient:
    return create_app(shared_examples).test_client()


@pytest.fixture
def examples(container: Container) -> Container:
    """A store of its own with the example data, for a test that appends to it."""
    return with_examples(container)


@pytest.fixture
def own_client(examples: Container) -> FlaskClient:
    return create_app(examples).test_client()


def with_examples(container: Container) -> Container:
    """The container, its log loaded with the example data and its views caught up."""
    load_examples(container)
    catch_up(container)
    return container
