"""S7 in the replacement choice: a pool's recorded interruptions adjust its risk as far as the observed
instance-hours behind them allow (weight 0 below 10,000 hours, 0.25 from 500,000), shown in the pool's reasons;
discovery counts the hours once per cluster and run."""

from __future__ import annotations

from typing import Any

import pytest

from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.market import DayZeroMarket
from cloudoptim.discovery.discover import discover
from cloudoptim.discovery.ports import DiscoveryDeps, NodeInfo
from cloudoptim.interruptions.choose import ChooseDeps
from engines.interruption.hive import HivePool, new_record
from functions.choose_replacement import handler as choose_fn
from tests.fakes.hive import FakeHiveMind
from tests.fakes.tenancy import MemoryDocuments
from tests.functional.test_drain_fakes import NOW, state
from tests.support.pipeline import World, world


@pytest.fixture(scope="module")
def market() -> DayZeroMarket:
    return DayZeroMarket(load_day_zero())


def choose(w: World, market: DayZeroMarket) -> dict[str, Any]:
    return dict(choose_fn.handle(state(), ChooseDeps(w.registry, w.hive, market), NOW))


def _interrupted(w: World, pool: HivePool, count: int) -> None:
    for n in range(count):  # two days ago: evidence for the feedback, long out of the escalation's window
        w.hive.record(new_record(pool, f"other-{n % 3}", NOW - 2 * 86400 - n), f"e-{n}")


def test_little_evidence_weighs_nothing_and_says_so(market: DayZeroMarket) -> None:
    w = world()
    first = choose(w, market)
    pool = HivePool("us-east-1", first["az_id"], first["instance_type"])
    w.hive.add_hours(pool, 5_000.0, "run-1", NOW)
    _interrupted(w, pool, 40)
    again = choose(w, market)
    assert (again["instance_type"], again["az_id"]) == (first["instance_type"], first["az_id"])
    feedback = [r for r in again["reasons"] if "feedback" in r]
    assert feedback and "below 10,000 instance-hours, weight 0" in feedback[0]


def test_full_evidence_of_a_bad_pool_raises_its_risk_by_a_quarter_of_the_gap(market: DayZeroMarket) -> None:
    w = world()
    first = choose(w, market)
    pool = HivePool("us-east-1", first["az_id"], first["instance_type"])
    w.hive.add_hours(pool, 600_000.0, "run-1", NOW)
    _interrupted(w, pool, 400)  # 400 in 600,000 hours: 48.7% per instance-month, the advisor's worst bucket
    again = choose(w, market)
    # the adjusted risk moves the choice out of the pool (the Day-Zero market has close alternatives)
    assert (again["instance_type"], again["az_id"]) != (first["instance_type"], first["az_id"])


def test_full_evidence_of_a_calm_pool_keeps_it_and_shows_the_weight(market: DayZeroMarket) -> None:
    w = world()
    first = choose(w, market)
    pool = HivePool("us-east-1", first["az_id"], first["instance_type"])
    w.hive.add_hours(pool, 600_000.0, "run-1", NOW)  # nothing interrupted in 600,000 hours: the calmest bucket
    again = choose(w, market)
    assert (again["instance_type"], again["az_id"]) == (first["instance_type"], first["az_id"])
    [feedback] = [r for r in again["reasons"] if "feedback" in r]
    assert "0 interruption(s) recorded over 600,000 observed instance-hours" in feedback and "weight 0.250" in feedback


class _Nodes:
    def nodes(self, tenant: str, cluster: Any, account: Any) -> list[NodeInfo]:
        return [
            NodeInfo("a", "i-1", "us-east-1a", "m5.large", "spot", "workers"),
            NodeInfo("b", "i-2", "us-east-1a", "m5.large", "spot", "workers"),
            NodeInfo("c", "i-3", "us-east-1a", "m5.large", "on-demand", "workers"),
            NodeInfo("d", "i-4", "us-east-1z", "m5.large", "spot", "workers"),  # no AZ ID known: no pool
        ]

    def describe(self, tenant: str, cluster: Any, account: Any) -> dict[str, Any]:
        return {}


class _Instances:
    def __init__(self) -> None:
        self.seen: dict[str, str | None] = {}

    def register_node(self, node: Any) -> None:
        self.seen[node.instance_id] = node.az_id


def test_discovery_counts_spot_hours_per_pool_once_per_run_and_fills_az_ids() -> None:
    documents, hive, instances = MemoryDocuments(), FakeHiveMind(), _Instances()
    documents.create("t", "account", "111122223333", {"regions": ["us-east-1"]}, NOW)
    body = {"account_id": "111122223333", "region": "us-east-1",
            "node_groups": {"workers": {"az_ids": {"us-east-1a": "use1-az4"}}}}  # fmt: skip
    cluster = documents.create("t", "cluster", "prod", body, NOW)
    deps = DiscoveryDeps(documents, _Nodes(), _Nodes(), instances, hours=hive)
    for _ in range(2):  # a retried run in the same hour
        discover(deps, "t", cluster, NOW)
    assert hive.hours == {"us-east-1#use1-az4#m5.large": 2.0}
    assert instances.seen == {"i-1": "use1-az4", "i-2": "use1-az4", "i-3": "use1-az4", "i-4": None}
    discover(deps, "t", cluster, NOW + 3600)
    assert hive.hours == {"us-east-1#use1-az4#m5.large": 4.0}
