"""The API's behaviour through HTTP (TestClient over in-memory fakes): onboarding, clusters, policies under ETags,
idempotent writes, roles, safe mode, the audit log and its export verified by the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from cloudoptim.tenancy import audit
from tests.support.api import ApiWorld, api_world

ACCOUNT = "111122223333"


@pytest.fixture
def world(tmp_path: Path) -> ApiWorld:
    return api_world(tmp_path)


def onboard(world: ApiWorld, tenant: str = "acme") -> None:
    admin = world.headers(tenant)
    created = world.client.post(
        "/v1/accounts",
        json={"aws_account_id": ACCOUNT, "regions": ["eu-west-1"], "launch_template_ids": ["lt-0abc12345678def90"]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    cluster = {"account_id": ACCOUNT, "name": "prod", "region": "eu-west-1"}
    assert world.client.post("/v1/clusters", json=cluster, headers=admin).status_code == 201


def test_onboarding_returns_a_generated_external_id_inside_a_template_that_uses_it(world: ApiWorld) -> None:
    answer = world.client.post(
        "/v1/accounts",
        json={
            "aws_account_id": ACCOUNT,
            "regions": ["eu-west-1", "us-east-1"],
            "launch_template_ids": ["lt-0abc12345678def90"],
        },
        headers=world.headers("acme"),
    )
    body = answer.json()
    assert answer.status_code == 201 and answer.headers["location"] == f"/v1/accounts/{ACCOUNT}"
    assert body["status"] == "pending" and len(body["external_id"]) >= 32
    assert body["external_id"] in str(body["template"])
    assert body["role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/CloudOptimAccess-acme"
    download = world.client.get(f"/v1/accounts/{ACCOUNT}/template", headers=world.headers("acme", "viewer"))
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]


def test_verify_records_what_the_role_allows(world: ApiWorld) -> None:
    onboard(world)
    verified = world.client.post(f"/v1/accounts/{ACCOUNT}/verify", headers=world.headers("acme", "operator")).json()
    assert verified["status"] == "verified" and all(verified["verification"]["checks"].values())
    probe = world.tenancy.accounts
    probe.denied = frozenset({"ec2:DescribeAvailabilityZones"})  # type: ignore[attr-defined]
    degraded = world.client.post(f"/v1/accounts/{ACCOUNT}/verify", headers=world.headers("acme")).json()
    checks = degraded["verification"]["checks"]
    assert degraded["status"] == "degraded" and checks["ec2:DescribeAvailabilityZones"] is False


def test_two_editors_of_one_policy_cannot_overwrite_each_other(world: ApiWorld) -> None:
    onboard(world)
    admin = world.headers("acme")
    read = world.client.get("/v1/clusters/prod/policy", headers=admin)
    assert read.headers["etag"] == '"0"'
    first = world.client.put(
        "/v1/clusters/prod/policy", json={"automation": {"spot": "automatic"}}, headers={**admin, "If-Match": '"0"'}
    )
    second = world.client.put(
        "/v1/clusters/prod/policy", json={"automation": {"consolidation": "off"}}, headers={**admin, "If-Match": '"0"'}
    )
    assert first.status_code == 200 and first.headers["etag"] == '"1"'
    assert second.status_code == 412
    assert (
        world.client.get("/v1/clusters/prod/policy", headers=admin).json()["policy"]["automation"]["spot"]
        == "automatic"
    )
    missing = world.client.put("/v1/clusters/prod/policy", json={}, headers=admin)
    assert missing.status_code == 428 and missing.headers["content-type"] == "application/problem+json"


def test_bad_input_names_the_field_and_stores_nothing(world: ApiWorld) -> None:
    onboard(world)
    admin = world.headers("acme")
    before = len(world.tenancy.audit.entries("acme", 0, 1000))
    bad = {
        "maintenance_windows": {
            "timezone": "Europe/Dublin",
            "windows": [{"days": ["mon"], "start": "9am", "end": "10:00"}],
        }
    }
    answer = world.client.put("/v1/clusters/prod/policy", json=bad, headers={**admin, "If-Match": '"0"'})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "maintenance_windows.windows.0.start"
    assert len(world.tenancy.audit.entries("acme", 0, 1000)) == before
    assert world.client.get("/v1/clusters/prod/policy", headers=admin).headers["etag"] == '"0"'
    for body in (
        {"aws_account_id": "12", "regions": ["eu-west-1"], "launch_template_ids": ["lt-0abc12345678def90"]},
        {"aws_account_id": ACCOUNT, "regions": ["mars-1"]},
    ):
        refused = world.client.post("/v1/accounts", json=body, headers=admin)
        assert refused.status_code in (409, 422) and refused.json()["detail"]


def test_a_retried_write_with_its_idempotency_key_has_no_second_effect(world: ApiWorld) -> None:
    admin = world.headers("acme", **{"Idempotency-Key": "k-1"})
    body = {"aws_account_id": ACCOUNT, "regions": ["eu-west-1"], "launch_template_ids": ["lt-0abc12345678def90"]}
    first = world.client.post("/v1/accounts", json=body, headers=admin)
    again = world.client.post("/v1/accounts", json=body, headers=admin)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    other = world.client.post("/v1/accounts", json={**body, "regions": ["us-east-1"]}, headers=admin)
    assert other.status_code == 409
    creates = [e for e in world.tenancy.audit.entries("acme", 0, 100) if e["action"] == "account.create"]
    assert len(creates) == 1


def test_roles(world: ApiWorld) -> None:
    onboard(world)
    operator, viewer = world.headers("acme", "operator"), world.headers("acme", "viewer")
    assert world.client.post("/v1/clusters/prod/check", headers=operator).status_code == 200  # operators act
    assert world.client.put("/v1/settings/safe-mode", json={"enabled": True}, headers=operator).status_code == 403
    assert world.client.get("/v1/users", headers=operator).status_code == 403  # users are the admin's
    assert world.client.get("/v1/clusters/prod", headers=viewer).status_code == 200
    invited = world.client.post(
        "/v1/users", json={"email": "v@acme.example", "role": "viewer"}, headers=world.headers("acme")
    )
    user = invited.json()
    promoted = world.client.put(
        f"/v1/users/{user['id']}", json={"role": "operator"}, headers={**world.headers("acme"), "If-Match": '"1"'}
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "operator"


def test_safe_mode_switch_is_audited_with_before_and_after(world: ApiWorld) -> None:
    admin = world.headers("acme")
    assert world.client.get("/v1/settings", headers=admin).json()["safe_mode"] is False
    switched = world.client.put("/v1/settings/safe-mode", json={"enabled": True}, headers=admin)
    assert switched.status_code == 200 and switched.json()["safe_mode"] is True
    entry = world.client.get("/v1/audit?action=settings.", headers=admin).json()["items"][0]
    assert (entry["before"]["safe_mode"], entry["after"]["safe_mode"]) == (False, True)
    assert entry["actor"] == "user:admin@acme.local"


def test_the_cluster_check_and_rbac_manifest(world: ApiWorld) -> None:
    onboard(world)
    admin = world.headers("acme")
    checked = world.client.post("/v1/clusters/prod/check", headers=admin).json()
    assert checked["status"] == "connected" and checked["endpoint"].startswith("https://")
    manifest = world.client.get("/v1/clusters/prod/rbac", headers=admin)
    assert manifest.status_code == 200 and "pods/eviction" in manifest.text and "kind: Group" in manifest.text


def test_audit_pages_filters_and_csv(world: ApiWorld) -> None:
    onboard(world)
    admin = world.headers("acme")
    first = world.client.get("/v1/audit?limit=2", headers=admin).json()
    second = world.client.get(f"/v1/audit?limit=2&cursor={first['next_cursor']}", headers=admin).json()
    seqs = [e["seq"] for e in first["items"] + second["items"]]
    assert seqs == [3, 2, 1] and second["next_cursor"] is None  # tenant, account and cluster created
    only = world.client.get("/v1/audit?action=cluster.", headers=admin).json()["items"]
    assert [e["action"] for e in only] == ["cluster.create"]
    csv = world.client.get("/v1/audit?format=csv", headers=admin)
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.splitlines()[0].startswith("seq,time,actor")
    assert world.client.get("/v1/audit?cursor=abc", headers=admin).status_code == 422


def test_cloudoptim_audit_verify_on_an_intact_and_a_tampered_export(
    world: ApiWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    onboard(world)
    assert audit.checkpoint_all(world.tenancy.documents, world.tenancy.audit, world.tenancy.signer, 5) == (1, 0)
    export = world.client.get("/v1/audit/export", headers=world.headers("acme"))
    path = tmp_path / "audit.ndjson"
    path.write_text(export.text)
    assert main(["audit", "verify", str(path)]) == 0
    assert "intact" in capsys.readouterr().out
    path.write_text(export.text.replace("eu-west-1", "eu-west-2", 1))
    assert main(["audit", "verify", str(path)]) == 1
    assert "NOT intact: entry 2" in capsys.readouterr().err
    assert main(["audit", "verify", str(tmp_path / "missing.ndjson")]) == 2
