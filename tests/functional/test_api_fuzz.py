"""schemathesis over the OpenAPI document, in process: no 5xx, responses match their schemas and documented
status codes, and authentication is never ignored. (The full run against `cloudoptim local up` is in the README.)"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, response_schema_conformance, status_code_conformance

from tests.support.api import api_world

WORLD = api_world(Path(tempfile.mkdtemp(prefix="cloudoptim-fuzz-")))
WORLD.clock.now = 1_780_000_000
TOKEN = WORLD.issuer.token("fuzz", "admin")
schema = schemathesis.openapi.from_asgi("/openapi.json", WORLD.app)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, ignored_auth]


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)
