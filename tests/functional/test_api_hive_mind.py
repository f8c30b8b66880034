"""`GET /v1/hive-mind`: the pools with interruptions in the window, their level, expiry, evidence as counts and what
they do to the caller's choices; another customer's identity never appears; pages like the other lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from engines.interruption.hive import HivePool, new_flag, new_record
from tests.support.api import ApiWorld, api_world

POOL = HivePool("eu-west-1", "euw1-az1", "m5.large")


@pytest.fixture
def world(tmp_path: Path) -> ApiWorld:
    return api_world(tmp_path)


def _interrupt(world: ApiWorld, tenant: str, pool: HivePool, ago: int, event: str) -> None:
    at = int(world.clock()) - ago
    world.hive.flag(new_flag(pool, tenant, at), event, "interruption")
    world.hive.record(new_record(pool, tenant, at), event)


def test_levels_expiry_and_counts_without_any_other_customers_identity(world: ApiWorld) -> None:
    for n, tenant in enumerate(("acme-corp", "globex", "initech")):
        _interrupt(world, tenant, POOL, 1200 - n * 60, f"e-{tenant}")
    _interrupt(world, "acme-corp", HivePool("eu-west-1", "euw1-az2", "c5.xlarge"), 300, "e-2")
    _interrupt(world, "globex", HivePool("eu-west-1", "euw1-az3", "r5.large"), 4000, "e-old")  # out of the window
    answer = world.client.get("/v1/hive-mind?region=eu-west-1", headers=world.headers("beta", "viewer"))
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [i["pool"] for i in items] == ["eu-west-1#euw1-az1#m5.large", "eu-west-1#euw1-az2#c5.xlarge"]
    risky, single = items
    assert risky["level"] == "CONFIRMED_RISKY" and risky["risk_bump"] == 0.2
    assert risky["evidence"] == {"customers": 3, "interruptions": 3, "flags": 3, "window_minutes": 60}
    assert risky["excluded_for_you"] is True and risky["yours"] is False
    # the first counted customer (20 minutes ago) leaves the window in 40 minutes
    assert risky["expires_at"] == "2026-05-28T21:06:40Z"
    assert single["level"] == "NORMAL" and single["your_risk_bump"] == 0.05 and not single["excluded_for_you"]
    for secret in ("acme-corp", "globex", "initech", "e-acme", "e-2"):
        assert secret not in answer.text


def test_a_customer_sees_its_own_interruption_as_its_own(world: ApiWorld) -> None:
    _interrupt(world, "acme-corp", POOL, 60, "e-1")
    [item] = world.client.get("/v1/hive-mind?region=eu-west-1", headers=world.headers("acme-corp")).json()["items"]
    assert item["yours"] is True and item["excluded_for_you"] is True and item["evidence"]["customers"] == 1


def test_pages_follow_the_cursor_and_a_foreign_cursor_is_refused(world: ApiWorld) -> None:
    for n in range(5):
        _interrupt(world, "acme-corp", HivePool("eu-west-1", "euw1-az1", f"m5.{n + 1}xlarge"), 60, f"e-{n}")
    headers, seen, cursor = world.headers("beta"), [], None
    while True:
        query = "region=eu-west-1&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = world.client.get(f"/v1/hive-mind?{query}", headers=headers).json()
        seen += [i["pool"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen)
    first = world.client.get("/v1/hive-mind?region=eu-west-1&limit=2", headers=headers).json()["next_cursor"]
    foreign = world.client.get(f"/v1/hive-mind?region=eu-west-1&cursor={first}", headers=world.headers("gamma"))
    assert foreign.status_code == 422 and "cursor" in foreign.text


def test_bad_input_is_refused_with_the_field_named(world: ApiWorld) -> None:
    for query in ("region=moon-base-1", "limit=0", "limit=101"):
        answer = world.client.get(f"/v1/hive-mind?{query}", headers=world.headers("beta"))
        assert answer.status_code == 422, query


def test_without_a_region_the_tenants_account_regions_are_read(world: ApiWorld) -> None:
    _interrupt(world, "acme-corp", POOL, 60, "e-1")
    headers = world.headers("beta")
    assert world.client.get("/v1/hive-mind", headers=headers).json()["items"] == []  # no account yet: no region
    body = {"aws_account_id": "444455556666", "regions": ["eu-west-1"], "launch_template_ids": ["lt-0abc12345678def90"]}
    assert world.client.post("/v1/accounts", json=body, headers=headers).status_code == 201
    assert [i["pool"] for i in world.client.get("/v1/hive-mind", headers=headers).json()["items"]] == [POOL.key]
