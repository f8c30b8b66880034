"""Tenant isolation over every route of the OpenAPI document (generated from it: a new route is covered, or this
fails for want of an example). Tenant A owns resources; tenant B (an admin), A's viewer and a caller without a token
try every route on A's ids. Nothing of A may leak into B's answers, nothing of A may change, the viewer may not
write, and only health answers without a token."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.tenancy import MemoryDocuments
from tests.support.api import ApiWorld, api_world
from tests.support.optimization import planned_sweep

A_ACCOUNT, B_ACCOUNT = "111122223333", "444455556666"
A_CLUSTER = "alpha-prod"
# A request body for every write route (by OpenAPI path and method); ids are A's.
BODIES: dict[tuple[str, str], Any] = {
    ("/v1/accounts", "post"): {
        "aws_account_id": A_ACCOUNT,
        "regions": ["eu-west-1"],
        "launch_template_ids": ["lt-0abc12345678def90"],
    },
    ("/v1/accounts/{account_id}/verify", "post"): None,
    ("/v1/clusters", "post"): {"account_id": A_ACCOUNT, "name": A_CLUSTER, "region": "eu-west-1"},
    ("/v1/clusters/{cluster_id}/check", "post"): None,
    ("/v1/clusters/{cluster_id}/policy", "put"): {"automation": {"spot": "automatic"}},
    ("/v1/clusters/{cluster_id}/hibernation/schedule", "put"): {
        "timezone": "Europe/Paris",
        "awake": {"mon": [["08:00", "19:00"]]},
    },
    ("/v1/clusters/{cluster_id}/hibernation/wake", "post"): {"hours": 2},
    ("/v1/settings/safe-mode", "put"): {"enabled": True},
    ("/v1/notifications", "put"): {
        "emails": ["finops@example.com"],
        "webhook": {"kind": "slack", "url": "https://hooks.slack.com/services/T0/B0/secret"},
    },
    ("/v1/users", "post"): {"email": "new@example.com", "role": "viewer"},
    ("/v1/users/{user_id}", "put"): {"role": "viewer"},
    ("/v1/clusters/{cluster_id}/sweeps", "post"): None,
    ("/v1/recommendations/{recommendation_id}/approve", "post"): None,
    ("/v1/recommendations/{recommendation_id}/reject", "post"): {"reason": "not now"},
    # the model registry: global, for platform operators only (every tenant, admins included, gets 403)
    ("/v1/admin/models", "post"): {"name": "candidate", "files": {"model.txt": "dHJlZQo=", "metadata.json": "e30K"}},
    ("/v1/admin/models/{model_id}/validate", "post"): None,
    ("/v1/admin/models/{model_id}/activate", "post"): None,
    ("/v1/admin/models/rollback", "post"): None,
    ("/v1/admin/models/shadow", "post"): {"model_id": None},
}
PUBLIC = {"/v1/health"}


@pytest.fixture
def world(tmp_path: Path) -> tuple[ApiWorld, dict[str, str]]:
    world = api_world(tmp_path)
    client, admin = world.client, world.headers("alpha")
    assert client.post("/v1/accounts", json=BODIES[("/v1/accounts", "post")], headers=admin).status_code == 201
    assert client.post("/v1/clusters", json=BODIES[("/v1/clusters", "post")], headers=admin).status_code == 201
    user = client.post("/v1/users", json={"email": "ops@alpha.example", "role": "operator"}, headers=admin).json()
    sweep, recommendations = planned_sweep(
        world.tenancy.documents, "alpha", A_CLUSTER, int(world.clock()), {"consolidation": 1.0, "spot": 0.5}
    )
    approved = client.post(f"/v1/recommendations/{recommendations[1]}/approve", headers=admin).json()
    ids = {
        "account_id": A_ACCOUNT, "cluster_id": A_CLUSTER, "user_id": user["id"], "sweep_id": sweep,
        "recommendation_id": recommendations[0], "execution_id": approved["execution_id"],
        "model_id": "shipped-0123456789ab",
    }  # fmt: skip
    return world, ids


def _operations(world: ApiWorld) -> list[tuple[str, str]]:
    paths = world.app.openapi()["paths"]
    return sorted((path, method) for path, operations in paths.items() for method in operations)


def _call(world: ApiWorld, path: str, method: str, ids: dict[str, str], headers: dict[str, str]) -> Any:
    url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
    body = copy.deepcopy(BODIES.get((path, method)))
    extra = {"If-Match": '"1"'} if method in ("put", "delete") else {}
    return world.client.request(method.upper(), url, json=body, headers={**headers, **extra})


def _sent(path: str, method: str, ids: dict[str, str]) -> str:
    """What the caller itself put in the request: echoing it back (\"cluster x not found\") leaks nothing."""
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path) + json.dumps(BODIES.get((path, method)))


def _snapshot(world: ApiWorld, tenant: str) -> dict[tuple[str, str], Any]:
    documents = world.tenancy.documents
    assert isinstance(documents, MemoryDocuments)
    return {
        (k, i): (d.version, json.dumps(d.body, sort_keys=True))
        for (t, k, i), d in documents.items.items()
        if t == tenant
    }


def test_every_write_route_has_an_example_body(world: tuple[ApiWorld, dict[str, str]]) -> None:
    api, _ = world
    writes = {(p, m) for p, m in _operations(api) if m in ("post", "put")}
    assert writes <= set(BODIES), f"add an example body for {sorted(writes - set(BODIES))}"


def test_another_tenant_neither_reads_nor_changes_anything_of_tenant_a(world: tuple[ApiWorld, dict[str, str]]) -> None:
    api, ids = world
    before = _snapshot(api, "alpha")
    secrets = {A_ACCOUNT, A_CLUSTER, ids["user_id"], "ops@alpha.example", "alpha"}
    secrets |= {v for t, v in api.tenancy.external_ids.ids.items() if t == "alpha"}  # type: ignore[attr-defined]
    crossed = []
    for path, method in _operations(api):
        if path in PUBLIC:
            continue
        answer = _call(api, path, method, ids, api.headers("beta"))
        sent = _sent(path, method, ids)
        leaked = sorted(s for s in secrets if s in answer.text and s not in sent)
        if answer.status_code in (200, 201, 204) and "{" in path:  # an id of A's answered as if B owned it
            crossed.append(f"{method.upper()} {path}: {answer.status_code}")
        if leaked:
            crossed.append(f"{method.upper()} {path} leaked {leaked}")
    assert crossed == []
    assert _snapshot(api, "alpha") == before


def test_a_viewer_reads_but_never_writes(world: tuple[ApiWorld, dict[str, str]]) -> None:
    api, ids = world
    before = _snapshot(api, "alpha")
    for path, method in _operations(api):
        answer = _call(api, path, method, ids, api.headers("alpha", "viewer"))
        if method == "get":
            admins_only = path.startswith(("/v1/users", "/v1/admin"))
            allowed = answer.status_code == 200 or (admins_only and answer.status_code == 403)
            assert allowed, (path, answer.status_code, answer.text)
        else:
            assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
    assert _snapshot(api, "alpha") == before


def test_only_health_answers_without_a_token(world: tuple[ApiWorld, dict[str, str]]) -> None:
    api, ids = world
    for path, method in _operations(api):
        answer = _call(api, path, method, ids, {})
        expected = 200 if path in PUBLIC else 401
        assert answer.status_code == expected, (method, path, answer.status_code)
        if expected == 401:
            assert answer.json()["status"] == 401 and answer.headers["www-authenticate"].startswith("Bearer")


def test_a_forged_tenant_in_the_path_query_or_body_is_ignored(world: tuple[ApiWorld, dict[str, str]]) -> None:
    api, _ = world
    beta = api.headers("beta")
    assert api.client.get("/v1/clusters?tenant_id=alpha", headers=beta).json()["items"] == []
    answer = api.client.post(
        "/v1/clusters", json={"account_id": A_ACCOUNT, "name": "x", "region": "eu-west-1", "tenant_id": "alpha"},
        headers=beta,
    )  # fmt: skip
    assert answer.status_code == 422  # unknown field refused, never used


def test_b_cannot_onboard_an_account_a_owns(world: tuple[ApiWorld, dict[str, str]]) -> None:
    api, _ = world
    body = {**BODIES[("/v1/accounts", "post")], "aws_account_id": A_ACCOUNT}
    answer = api.client.post("/v1/accounts", json=body, headers=api.headers("beta"))
    assert answer.status_code == 409
    assert "alpha" not in answer.text
