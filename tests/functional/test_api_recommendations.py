"""Recommendations, sweeps, executions and the savings ledger through the API (in-memory stores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.tenancy import FakeWorkflows
from tests.functional.test_api_routes import onboard
from tests.support.api import ApiWorld, api_world
from tests.support.optimization import planned_sweep


@pytest.fixture
def world(tmp_path: Path) -> ApiWorld:
    world = api_world(tmp_path)
    onboard(world)
    return world


def workflows(world: ApiWorld) -> FakeWorkflows:
    started = world.optimization.workflows
    assert isinstance(started, FakeWorkflows)
    return started


def test_the_ledger_adds_up_and_matches_its_recommendations(world: ApiWorld) -> None:
    now = int(world.clock())
    planned_sweep(world.tenancy.documents, "acme", "prod", now, {"consolidation": 2.5, "spot": 1.25, "oom": -0.25})
    admin = world.headers("acme")
    savings = world.client.get("/v1/savings", headers=admin).json()
    assert savings["current_cost_per_hour"] == 10.0 and savings["projected_savings_per_hour"] == 3.5
    assert savings["projected_savings_per_month"] == pytest.approx(3.5 * 730)
    assert sum(v["projected_savings_per_hour"] for v in savings["by_capability"].values()) == 3.5
    assert "projected <= current" in savings["formula"]
    listed = world.client.get("/v1/recommendations?cluster=prod&status=open", headers=admin).json()["items"]
    assert sum(r["projected_savings_per_hour"] for r in listed) == 3.5
    assert world.client.get("/v1/savings", headers=world.headers("other")).json()["current_cost_per_hour"] == 0


def test_approving_starts_one_execution_and_a_second_decision_is_refused(world: ApiWorld) -> None:
    now = int(world.clock())
    _, ids = planned_sweep(world.tenancy.documents, "acme", "prod", now, {"consolidation": 2.0})
    operator = world.headers("acme", "operator")
    approved = world.client.post(f"/v1/recommendations/{ids[0]}/approve", headers=operator)
    assert approved.status_code == 200 and approved.json()["status"] == "executing"
    execution = approved.json()["execution_id"]
    assert list(workflows(world).executions) == [execution]
    got = world.client.get(f"/v1/executions/{execution}", headers=world.headers("acme", "viewer")).json()
    assert got["status"] == "running" and got["started_by"] == "user:operator@acme.local"
    again = world.client.post(f"/v1/recommendations/{ids[0]}/reject", headers=operator)
    assert again.status_code == 409
    assert (
        world.client.post(f"/v1/recommendations/{ids[0]}/approve", headers=world.headers("acme", "viewer")).status_code
        == 403
    )
    actions = [e["action"] for e in world.tenancy.audit.entries("acme", 0, 100)]
    assert "recommendation.approve" in actions and "execution.start" in actions


def test_safe_mode_makes_an_approved_execution_dry(world: ApiWorld) -> None:
    now = int(world.clock())
    _, ids = planned_sweep(world.tenancy.documents, "acme", "prod", now, {"spot": 1.0})
    admin = world.headers("acme")
    world.client.put("/v1/settings/safe-mode", json={"enabled": True}, headers=admin)
    execution = world.client.post(f"/v1/recommendations/{ids[0]}/approve", headers=admin).json()["execution_id"]
    assert world.client.get(f"/v1/executions/{execution}", headers=admin).json()["dry_run"] is True
    (payload,) = workflows(world).executions.values()
    assert payload["dry_run"] is True


def test_an_expired_recommendation_cannot_be_approved(world: ApiWorld) -> None:
    now = int(world.clock())
    _, ids = planned_sweep(world.tenancy.documents, "acme", "prod", now, {"consolidation": 2.0})
    world.clock.now += 8 * 86400
    admin = world.headers("acme")
    assert world.client.get(f"/v1/recommendations/{ids[0]}", headers=admin).json()["status"] == "expired"
    assert world.client.post(f"/v1/recommendations/{ids[0]}/approve", headers=admin).status_code == 409
    assert world.client.get("/v1/savings", headers=admin).json()["projected_savings_per_hour"] == 0


def test_rejecting_keeps_the_reason(world: ApiWorld) -> None:
    now = int(world.clock())
    _, ids = planned_sweep(world.tenancy.documents, "acme", "prod", now, {"workload_rightsizing": 0.4})
    rejected = world.client.post(
        f"/v1/recommendations/{ids[0]}/reject", json={"reason": "batch peak on Mondays"}, headers=world.headers("acme")
    ).json()
    assert (rejected["status"], rejected["decision_reason"]) == ("rejected", "batch peak on Mondays")


def test_a_sweep_starts_once_per_cluster_at_a_time(world: ApiWorld) -> None:
    admin = world.headers("acme")
    first = world.client.post("/v1/clusters/prod/sweeps", headers=admin)
    assert first.status_code == 202 and first.json()["status"] == "running"
    assert world.client.post("/v1/clusters/prod/sweeps", headers=admin).status_code == 409
    assert world.client.get(first.headers["location"], headers=admin).json()["cluster"] == "prod"
    assert world.client.post("/v1/clusters/nope/sweeps", headers=admin).status_code == 404
    assert len(workflows(world).sweeps) == 1


def test_pages_of_filtered_recommendations(world: ApiWorld) -> None:
    now = int(world.clock())
    planned_sweep(world.tenancy.documents, "acme", "prod", now, {k: 1.0 for k in ("consolidation", "spot", "oom")})
    admin = world.headers("acme")
    first = world.client.get("/v1/recommendations?limit=2", headers=admin).json()
    second = world.client.get(f"/v1/recommendations?limit=2&cursor={first['next_cursor']}", headers=admin).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
    assert world.client.get("/v1/recommendations?kind=teleport", headers=admin).status_code == 422
