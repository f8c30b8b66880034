"""The API in local mode over real HTTP: uvicorn beside the local stack, DynamoDB and Secrets Manager in moto,
tokens from the local issuer verified through the JWKS this server publishes (no bypass)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from localmode.api import LocalApiServer, local_app, token
from localmode.aws import free_port
from localmode.stack import LocalStack


@pytest.fixture(scope="module")
def api(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import os

    os.environ["CLOUDOPTIM_HOME"] = str(tmp_path_factory.mktemp("home"))
    assert local_stack.deployed is not None
    port = free_port()
    server = LocalApiServer(
        local_app(
            local_stack.deployed.tables,
            local_stack.aws.endpoint_url,
            "eu-west-1",
            port,
            local_stack.deployed.function_env.get("api"),
        ),
        port,
    )
    yield server.start()
    server.stop()


# Local mode's own tenant holds moto's default account: this tenant onboards another one.
ACCOUNT_ID = "210987654321"


def call(url: str, method: str = "GET", body: Any = None, bearer: str | None = None) -> tuple[int, Any]:
    headers = {"content-type": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read().decode()
            return answer.status, json.loads(text) if text.startswith(("{", "[")) else text
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode())


def test_onboarding_over_http_with_a_local_token(api: str, tmp_path: Path) -> None:
    admin = token("e2e-acme", "admin")
    assert call(f"{api}/v1/health") == (200, {"status": "ok", "version": "1"})
    assert call(f"{api}/v1/me")[0] == 401
    status, account = call(
        f"{api}/v1/accounts",
        "POST",
        {"aws_account_id": ACCOUNT_ID, "regions": ["eu-west-1"], "launch_template_ids": ["lt-0abc12345678def90"]},
        admin,
    )
    assert status == 201 and len(account["external_id"]) >= 32
    status, verified = call(f"{api}/v1/accounts/{ACCOUNT_ID}/verify", "POST", None, admin)
    assert status == 200 and verified["verification"]["assumed"] is True
    status, _ = call(
        f"{api}/v1/clusters", "POST", {"account_id": ACCOUNT_ID, "name": "e2e", "region": "eu-west-1"}, admin
    )
    assert status == 201
    assert call(f"{api}/v1/clusters/e2e", bearer=token("e2e-other", "admin"))[0] == 404
    export = urllib.request.urlopen(
        urllib.request.Request(f"{api}/v1/audit/export", headers={"Authorization": f"Bearer {admin}"}), timeout=30
    ).read()
    path = tmp_path / "audit.ndjson"
    path.write_bytes(export)
    assert main(["audit", "verify", str(path)]) == 0


def test_a_token_from_another_issuer_key_is_refused(api: str, tmp_path: Path) -> None:
    from localmode.issuer import LocalIssuer

    forged = LocalIssuer.load("https://cloudoptim.local/issuer", tmp_path).token("e2e-acme", "admin")
    status, problem = call(f"{api}/v1/me", bearer=forged)
    assert status == 401 and "unknown key" in problem["detail"]


def test_the_model_registry_answers_a_platform_operator_only(api: str) -> None:
    """Local mode wires the registry's bucket and tables into the API as the deployed stack does (no 503), and only
    an admin in the operators' group reaches it."""
    from cloudoptim.tenancy.principal import PLATFORM_OPERATORS

    status, body = call(f"{api}/v1/admin/models", bearer=token("ops", "admin", groups=(PLATFORM_OPERATORS,)))
    assert status == 200, body
    assert {"active", "models", "events"} <= set(body), body
    status, body = call(f"{api}/v1/admin/models", bearer=token("ops", "admin"))
    assert status == 403, body
