"""The hibernation and price routes over the API: the schedule under If-Match (428, 412, 422 naming the field), the
view with what the cluster should be and its next transitions, a manual wake-up (operators may, viewers may not),
every write audited, and price stats for the tenant's regions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudoptim.api.context import ApiDeps
from cloudoptim.pricing.ports import RegionState, SpotPoint
from engines.pricing.coverage import Interval
from tests.fakes.pricing import MemoryPriceTable
from tests.support.api import ApiWorld, api_world

CLUSTER = "alpha-dev"
OFFICE = {"timezone": "Europe/Paris", "awake": {d: [["08:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
          "prewarm_minutes": 30, "holidays": ["2026-07-14"]}  # fmt: skip
SATURDAY_NOON = 1_781_352_000.0  # 2026-06-13T12:00:00Z


@pytest.fixture
def world(tmp_path: Path) -> ApiWorld:
    w = api_world(tmp_path)
    admin = w.headers("alpha")
    assert w.client.post("/v1/accounts", json={"aws_account_id": "111122223333", "regions": ["eu-west-1"],
                                            "launch_template_ids": ["lt-0abc12345678def90"]},
                         headers=admin).status_code == 201  # fmt: skip
    body = {"account_id": "111122223333", "name": CLUSTER, "region": "eu-west-1"}
    assert w.client.post("/v1/clusters", json=body, headers=admin).status_code == 201
    w.clock.now = SATURDAY_NOON
    return w


def put(w: ApiWorld, body: Any, etag: str | None, role: str = "admin") -> Any:
    headers = w.headers("alpha", role, **({"If-Match": etag} if etag is not None else {}))
    return w.client.put(f"/v1/clusters/{CLUSTER}/hibernation/schedule", json=body, headers=headers)


def test_the_schedule_is_replaced_under_if_match_and_the_view_says_what_comes_next(world: ApiWorld) -> None:
    view = world.client.get(f"/v1/clusters/{CLUSTER}/hibernation", headers=world.headers("alpha", "viewer"))
    assert view.status_code == 200 and view.json()["schedule"] is None and view.headers["etag"] == '"0"'
    assert put(world, OFFICE, None).status_code == 428
    assert put(world, OFFICE, '"3"').status_code == 412
    created = put(world, OFFICE, '"0"')
    assert created.status_code == 200 and created.headers["etag"] == '"1"'
    assert created.json()["schedule"]["awake"]["mon"] == [["08:00", "19:00"]]
    body = world.client.get(f"/v1/clusters/{CLUSTER}/hibernation", headers=world.headers("alpha")).json()
    assert body["state"] == "awake" and body["desired"]["awake"] is False
    assert body["desired"]["code"] == "scheduled-asleep"
    assert body["next_transitions"][0] == {"at": "2026-06-15T05:30:00Z", "action": "wake",
                                           "local": "2026-06-15T07:30:00+02:00"}  # fmt: skip
    assert put(world, {**OFFICE, "prewarm_minutes": 0}, '"1"').headers["etag"] == '"2"'
    assert put(world, OFFICE, '"1"').status_code == 412  # someone else changed it first


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"awake": {"mon": [["19:00", "08:00"]]}}, "awake"),
        ({"awake": {"mon": [["25:00", "26:00"]]}}, "awake.mon.0.0"),
        ({"prewarm_minutes": 1000}, "prewarm_minutes"),
        ({"exclusions": {"namespaces": ["Bad_Name"]}}, "exclusions"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_a_bad_schedule_is_422_naming_the_field(world: ApiWorld, body: dict[str, Any], field: str) -> None:
    answer = put(world, body, '"0"')
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"].startswith(field)


def test_an_operator_wakes_the_cluster_by_hand_a_viewer_may_not(world: ApiWorld) -> None:
    put(world, OFFICE, '"0"')
    wake = f"/v1/clusters/{CLUSTER}/hibernation/wake"
    assert world.client.post(wake, json={"hours": 2}, headers=world.headers("alpha", "viewer")).status_code == 403
    assert world.client.post(wake, json={"hours": 100}, headers=world.headers("alpha", "operator")).status_code == 422
    answer = world.client.post(wake, json={"hours": 2}, headers=world.headers("alpha", "operator"))
    assert answer.status_code == 200
    body = answer.json()
    assert body["manual_wake_until"] == "2026-06-13T14:00:00Z" and body["desired"]["code"] == "manual-wake"
    entries = world.client.get("/v1/audit?action=hibernation.", headers=world.headers("alpha")).json()["items"]
    assert [e["action"] for e in entries] == ["hibernation.manual_wake", "hibernation.schedule"]


def test_another_tenant_sees_404(world: ApiWorld) -> None:
    other = world.headers("beta")
    assert world.client.get(f"/v1/clusters/{CLUSTER}/hibernation", headers=other).status_code == 404
    assert world.client.post(f"/v1/clusters/{CLUSTER}/hibernation/wake", json={"hours": 1},
                             headers=other).status_code == 404  # fmt: skip


def test_price_stats_cover_the_tenants_regions(world: ApiWorld) -> None:
    deps: ApiDeps = world.app.state.deps
    table = deps.prices
    assert isinstance(table, MemoryPriceTable)
    now = int(SATURDAY_NOON)
    table.merge_spot("eu-west-1", [SpotPoint("euw1-az1", "m5.large", 0.04, now - 7200)], keep_since=now - 86400)
    table.save_state(RegionState("eu-west-1", watermark=now, covered=(Interval(now - 86400, now),), pools=1,
                                 last_run=now))  # fmt: skip
    body = world.client.get("/v1/prices/stats?days=2", headers=world.headers("alpha", "viewer")).json()
    [region] = body["regions"]
    assert region["region"] == "eu-west-1" and region["coverage"] == 0.5 and region["spot_age_hours"] == 2.0
    assert region["gaps"] == [{"start": "2026-06-11T12:00:00Z", "end": "2026-06-12T12:00:00Z", "hours": 24.0}]
    asked = world.client.get("/v1/prices/stats?region=us-east-1", headers=world.headers("alpha")).json()
    assert [r["region"] for r in asked["regions"]] == ["us-east-1"] and asked["regions"][0]["coverage"] == 0.0
    assert world.client.get("/v1/prices/stats?region=Ireland", headers=world.headers("alpha")).status_code == 422


def test_waste_findings_are_listed_per_account_region(world: ApiWorld) -> None:
    finding = {"kind": "unused_public_ipv4", "resource_id": "eipalloc-1", "monthly_cost": 3.65,
               "reasons": ["associated with nothing"], "action": "release"}  # fmt: skip
    body = {"account_id": "111122223333", "region": "eu-west-1", "scanned_at": int(SATURDAY_NOON), "dry_run": True,
            "monthly_waste": 3.65, "findings": [finding], "not_assessed": []}  # fmt: skip
    world.tenancy.documents.create("alpha", "waste-findings", "111122223333@eu-west-1", body, 0)
    listed = world.client.get("/v1/waste/findings", headers=world.headers("alpha", "viewer")).json()["items"]
    assert [(i["account_id"], i["monthly_waste"], i["scanned_at"]) for i in listed] == [
        ("111122223333", 3.65, "2026-06-13T12:00:00Z")
    ]
    assert world.client.get("/v1/waste/findings", headers=world.headers("beta")).json()["items"] == []
