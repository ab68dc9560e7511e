"""Schemathesis against the whole app through ASGI: every operation of the OpenAPI schema,
with generated valid and invalid requests, must answer without a server error, with a
documented status code and content type, and a body matching the documented schema.

The app runs on a SQLite store holding the ``api_app`` timeline, so reports have rows; the
requests carry an admin key of centre north (admin may ingest and read).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from api_app import bearer, make_app, make_keys, north_timeline
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from callkpi.store.db import Store

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25


# Loaded when the module is collected: schemathesis parametrizes by the schema's operations
# then (its fixture-based loader does not work with pytest 9). The store is filled below.
_FOLDER = tempfile.TemporaryDirectory(prefix="callkpi-schemathesis-")
_STORE = Store.open(f"sqlite:///{Path(_FOLDER.name) / 'callkpi.db'}")
APP = make_app(_STORE, snapshot_dir=Path(_FOLDER.name) / "snapshot")
KEYS = make_keys(_STORE)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def timeline_ingested() -> Iterator[None]:
    """The timeline in the store while the module's tests run; the store removed after."""
    with TestClient(APP) as client:
        response = client.post("/v1/events", json=north_timeline(), headers=bearer(KEYS["ingest"]))
        assert response.status_code == 200, response.text
    yield
    APP.state.callkpi.store.dispose()
    _STORE.dispose()
    _FOLDER.cleanup()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_schema(case):
    case.call_and_validate(headers=bearer(KEYS["admin"]), checks=CHECKS)
