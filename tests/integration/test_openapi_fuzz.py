"""Schemathesis generates requests from /openapi.json: none may make the server answer 500,
and every refusal is problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.bootstrap import bootstrap
from service.settings import Settings
from tests.conftest import ADMIN_TOKEN, LiveServer


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = Path(tmp_path_factory.mktemp("fuzz"))
    container = bootstrap(
        Settings(
            data_dir=str(data),
            api_token=ADMIN_TOKEN,
            min_position_wait=0.05,
            stream_heartbeat_seconds=0.2,  # a stream answers at once, then is closed
        )
    )
    with LiveServer(container) as server:
        yield server
    container.close()


def test_no_generated_request_makes_the_server_fail(fuzzed_server: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:
        check_operation(operation.as_strategy(), streamed=operation.path == "/v1/stream")


def check_operation(strategy: st.SearchStrategy[schemathesis.Case], *, streamed: bool) -> None:
    """Every generated request of one operation; a stream's answer is judged by its status
    and headers, then closed (an accepted stream never ends)."""

    @given(case=strategy)
    @settings(
        max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def call(case: schemathesis.Case) -> None:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        if streamed:
            kwargs = case.as_transport_kwargs(headers=headers)
            with requests.request(**kwargs, stream=True, timeout=10) as response:
                assert response.status_code < 500, f"{case.method} {case.path}"
                if response.status_code >= 400:
                    assert response.headers["content-type"] == "application/problem+json"
                return
        response = case.call(headers=headers, timeout=10)
        waited = response.status_code == 503 and "retry-after" in response.headers
        assert response.status_code < 500 or waited, f"{case.method} {case.path}: {response.text}"
        if response.status_code >= 400:
            media_type = response.headers.get("content-type")
            where = f"{case.method} {case.formatted_path} {response.status_code}"
            assert media_type == ["application/problem+json"], where
            assert response.json()["status"] == response.status_code

    call()
