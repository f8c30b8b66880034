"""The Step Functions task handlers over in-memory fakes and the shipped Day-Zero market."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.market import DayZeroMarket
from cloudoptim.errors import RecordNotFoundError
from cloudoptim.interruptions.choose import ChooseDeps
from cloudoptim.interruptions.drain import KubeDeps
from cloudoptim.interruptions.execution import iso
from cloudoptim.interruptions.launch import LaunchDeps
from cloudoptim.interruptions.outcome import RecordDeps
from cloudoptim.interruptions.ports import NodeGroup
from engines.interruption.hive import HivePool, new_flag, new_record
from functions.choose_replacement import handler as choose_fn
from functions.cordon_node import handler as cordon_fn
from functions.evict_pods import handler as evict_fn
from functions.launch_replacement import handler as launch_fn
from functions.node_status import handler as status_fn
from functions.record_outcome import handler as record_fn
from tests.support.pipeline import CLUSTER, CLUSTER_RECORD, INSTANCE, NODE, T0, TENANT, World, world

NOW = T0 + 10


@pytest.fixture(scope="module")
def market() -> DayZeroMarket:
    return DayZeroMarket(load_day_zero())


def state(**overrides: Any) -> dict[str, Any]:
    base = {
        "event_id": "1e5527d7-bb36-4607-3370-4164db56a40e", "kind": "interruption", "event_time": iso(T0),
        "deadline": iso(T0 + 120), "tenant_id": TENANT, "cluster": CLUSTER, "node_name": NODE,
        "instance_id": INSTANCE, "region": "us-east-1", "availability_zone": "us-east-1a", "az_id": "use1-az4",
        "instance_type": "m5.xlarge", "capacity_type": "spot", "node_group": "workers", "dry_run": False,
        "wait_seconds": 5,
    }  # fmt: skip
    return {**base, **overrides}


def chosen(w: World, market: DayZeroMarket, **overrides: Any) -> dict[str, Any]:
    s = state(**overrides)
    s["replacement"] = choose_fn.handle(s, ChooseDeps(w.registry, w.hive, market), NOW)
    return s


def test_choice_avoids_the_interrupted_and_its_own_flagged_pools_and_uses_a_node_group_zone(
    market: DayZeroMarket,
) -> None:
    w = world()
    first = chosen(w, market)["replacement"]
    assert first["capacity_type"] == "spot" and first["zone_key"] in ("us-east-1a", "use1-az1")
    w.hive.flag(new_flag(HivePool("us-east-1", first["az_id"], first["instance_type"]), TENANT, NOW - 60), "e", "k")
    second = chosen(w, market)["replacement"]
    assert (second["instance_type"], second["az_id"]) != (first["instance_type"], first["az_id"])
    assert any("hive mind" in e for e in second["excluded"])
    assert any("interrupted pool" in e for e in second["excluded"])


def test_another_customers_single_flag_adds_risk_without_steering_the_choice(market: DayZeroMarket) -> None:
    w = world()
    first = chosen(w, market)["replacement"]
    pool = HivePool("us-east-1", first["az_id"], first["instance_type"])
    w.hive.flag(new_flag(pool, "other", NOW - 60), "e", "k")
    w.hive.record(new_record(pool, "other", NOW - 60), "e")  # ingest writes both; the record is what counts
    second = chosen(w, market)["replacement"]
    assert not any("hive mind" in e for e in second["excluded"])
    if (second["instance_type"], second["az_id"]) == (first["instance_type"], first["az_id"]):
        assert any(r.startswith("hive mind 0.050") for r in second["reasons"])


def test_launch_uses_the_template_subnet_tags_and_an_idempotent_token(market: DayZeroMarket) -> None:
    w = world()
    s = chosen(w, market)
    first = launch_fn.handle(s, LaunchDeps(w.registry, w.cloud))
    again = launch_fn.handle(s, LaunchDeps(w.registry, w.cloud))  # a Step Functions retry
    assert first["launched"] and first["instance_id"] == again["instance_id"]
    [(instance_id, spec)] = w.cloud.launcher_.launched.values()
    assert instance_id == first["instance_id"]
    assert spec.launch_template_id == "lt-0123456789abcdef0" and spec.launch_template_version == "3"
    assert spec.subnet_id == {"us-east-1a": "subnet-a", "use1-az1": "subnet-c"}[s["replacement"]["zone_key"]]
    assert spec.tags == {"cloudoptim:tenant": TENANT, "cloudoptim:replaces": INSTANCE}
    assert spec.capacity_type == "spot" and len(spec.client_token) <= 64
    assert w.cloud.sessions == [(TENANT, "us-east-1", "launch")] * 2  # a session limited to launching


def test_the_replacement_is_registered_so_its_own_notices_are_handled(market: DayZeroMarket) -> None:
    w = world()
    s = chosen(w, market)
    launched = launch_fn.handle(s, LaunchDeps(w.registry, w.cloud))
    node = w.registry.node_for_instance(launched["instance_id"])
    assert node is not None and node.node_name.startswith("ip-")
    assert (node.tenant_id, node.cluster, node.node_group) == (TENANT, s["cluster"], s["node_group"])
    assert (node.instance_type, node.az_id) == (s["replacement"]["instance_type"], s["replacement"]["az_id"])
    assert any("registered as node" in r for r in launched["reasons"])


def test_dry_run_launch_cordon_and_evict_change_nothing(market: DayZeroMarket) -> None:
    w = world()
    s = chosen(w, market, dry_run=True)
    deps = KubeDeps(w.registry, w.kube)
    launch = launch_fn.handle(s, LaunchDeps(w.registry, w.cloud))
    cordon = cordon_fn.handle(s, deps)
    drain = evict_fn.handle(s, deps, NOW)
    kube = w.kube.clusters[CLUSTER]
    assert (launch["launched"], launch["dry_run"]) == (False, True) and w.cloud.launcher_.launched == {}
    assert cordon["dry_run"] and kube.cordoned == [] and not kube.nodes[NODE].unschedulable
    assert drain["step"] == "done" and drain["dry_run"] and kube.evictions == []
    assert "would evict web/web-1" in drain["reasons"][0]


def test_launch_without_a_subnet_for_the_zone_is_a_typed_error(market: DayZeroMarket) -> None:
    w = world()
    s = chosen(w, market)
    s["replacement"]["zone_key"] = "us-east-1f"
    with pytest.raises(RecordNotFoundError, match="no subnet"):
        launch_fn.handle(s, LaunchDeps(w.registry, w.cloud))


def test_cordon_then_evict_skips_daemonset_and_finished_pods() -> None:
    w = world()
    deps = KubeDeps(w.registry, w.kube)
    assert cordon_fn.handle(state(), deps)["cordoned"]
    drain = evict_fn.handle(state(), deps, NOW)
    assert (drain["step"], drain["evicted"]) == ("done", ["web/web-1"])
    assert sorted(drain["skipped"]) == ["batch/report-1", "kube-system/aws-node-x"]
    assert w.kube.clusters[CLUSTER].cordoned == [NODE]


def test_pdb_refusal_waits_then_gives_up_at_the_deadline() -> None:
    w = world()
    kube = w.kube.clusters[CLUSTER]
    kube.budgets.clear()
    kube.add_pdb("web", "web", {"app": "web"}, min_available=2)  # 2 healthy of 2: eviction answers 429
    deps = KubeDeps(w.registry, w.kube)
    s = state()
    s["drain"] = evict_fn.handle(s, deps, NOW)
    assert (s["drain"]["step"], s["drain"]["blocked"]) == ("wait", ["web/web-1"])
    s["drain"] = evict_fn.handle(s, deps, T0 + 118)  # 2 s left, less than a wait
    assert (s["drain"]["step"], s["drain"]["rounds"]) == ("give-up", 2)
    assert [e.result.value for e in kube.evictions] == ["blocked_by_pdb", "blocked_by_pdb"]
    assert ("web", "web-1") in kube.pods  # never forced past its budget


def test_node_status_waits_for_the_new_node_then_reports_ready() -> None:
    w = world()
    deps = KubeDeps(w.registry, w.kube)
    s = state(kind="rebalance", deadline=iso(T0 + 600))
    s["launch"] = {"launched": True, "instance_id": "i-0000000000000beef", "capacity_type": "spot",
                   "instance_type": "m6i.xlarge"}  # fmt: skip
    s["status"] = status_fn.handle(s, deps, NOW)
    assert s["status"]["step"] == "wait"
    w.kube.clusters[CLUSTER].add_node("ip-10-0-3-3.ec2.internal", instance_id="i-0000000000000beef")
    s["status"] = status_fn.handle(s, deps, NOW + 5)
    assert (s["status"]["step"], s["status"]["attempts"]) == ("ready", 2)


def test_node_status_times_out_ten_minutes_after_the_event() -> None:
    w = world()
    s = state(kind="rebalance", deadline=iso(T0 + 600))
    s["launch"] = {"launched": True, "instance_id": "i-0000000000000beef", "capacity_type": "spot",
                   "instance_type": "m6i.xlarge", "node_name": "ip-10-0-3-3.ec2.internal"}  # fmt: skip
    deps = KubeDeps(w.registry, w.kube)
    assert status_fn.handle(s, deps, T0 + 599)["step"] == "wait"
    assert status_fn.handle(s, deps, T0 + 600)["step"] == "timeout"


def test_node_status_finds_the_replacement_by_name_and_checks_its_provider_id() -> None:
    w = world()
    kube = w.kube.clusters[CLUSTER]
    kube.add_node("ip-10-0-3-3.ec2.internal", instance_id="i-0000000000000f00d")  # the name, another machine
    s = state(kind="rebalance", deadline=iso(T0 + 600))
    s["launch"] = {"launched": True, "instance_id": "i-0000000000000beef", "capacity_type": "spot",
                   "instance_type": "m6i.xlarge", "node_name": "ip-10-0-3-3.ec2.internal"}  # fmt: skip
    status = status_fn.handle(s, KubeDeps(w.registry, w.kube), NOW)
    assert status["step"] == "wait" and "not i-0000000000000beef" in status["reasons"][0]


def test_a_node_name_that_now_belongs_to_another_machine_is_not_cordoned_or_drained() -> None:
    w = world()
    kube = w.kube.clusters[CLUSTER]
    kube.add_node(NODE, instance_id="i-0000000000000f00d")  # the interrupted machine is gone; its name came back
    deps = KubeDeps(w.registry, w.kube)
    cordon = cordon_fn.handle(state(), deps)
    drain = evict_fn.handle(state(), deps, NOW)
    assert not cordon["cordoned"] and "left alone" in cordon["reasons"][0]
    assert drain["evicted"] == [] and kube.cordoned == [] and kube.evictions == []


def test_a_later_round_within_the_warning_skips_the_node_read_and_one_after_it_checks_again() -> None:
    w = world()
    kube = w.kube.clusters[CLUSTER]
    deps = KubeDeps(w.registry, w.kube)
    later = {**state(), "drain": {"step": "wait", "rounds": 1, "evicted": []}}
    kube.fail("get_node", RuntimeError("read"), times=1)
    assert evict_fn.handle(later, deps, T0 + 60)["rounds"] == 2  # the instance still runs: its name is its own
    w = world()
    w.kube.clusters[CLUSTER].add_node(NODE, instance_id="i-0000000000000f00d")  # past the deadline: name reused
    drain = evict_fn.handle(later, KubeDeps(w.registry, w.kube), T0 + 121)
    assert drain["step"] == "done" and "left alone" in drain["reasons"][0]


def _audit(w: World) -> Any:
    [item] = w.audit.all()
    return item


def _record(w: World) -> RecordDeps:
    return RecordDeps(w.audit, w.idempotency)


def test_record_outcome_of_the_parallel_branches() -> None:
    w = world()
    s = state()
    s["branches"] = [
        {**state(), "replacement": {"capacity_type": "spot", "instance_type": "m6i.xlarge", "zone_key": "us-east-1a"},
         "launch": {"launched": True, "instance_id": "i-0000000000000beef", "capacity_type": "spot",
                    "instance_type": "m6i.xlarge"}},
        {**state(), "cordon": {"cordoned": True, "node_name": NODE},
         "drain": {"step": "done", "rounds": 1, "evicted": ["web/web-1"]}},
    ]  # fmt: skip
    outcome = record_fn.handle(s, _record(w), NOW)
    item = _audit(w)
    assert outcome["outcome"] == item.outcome == "replaced-and-drained" and outcome["drained"]
    assert item.after is not None and item.dry_run is False
    assert (item.after["replacement"], item.after["pods_evicted"]) == ("i-0000000000000beef", 1)
    assert outcome["audit_key"] == f"TENANT#{TENANT}/SEQ#000000000001"


def test_record_failure_writes_an_audit_item_with_the_error() -> None:
    w = world()
    s = state(error={"Error": "AccessDeniedError", "Cause": "AssumeRole refused"})
    assert record_fn.handle(s, _record(w), NOW)["outcome"] == "failed"
    assert _audit(w).reasons == ("AccessDeniedError: AssumeRole refused",)


def test_launch_failure_in_the_parallel_branch_still_drains() -> None:
    w = world()
    s = state()
    s["branches"] = [
        {**state(), "launch_error": {"Error": "TransientAwsError", "Cause": "InsufficientInstanceCapacity"}},
        {**state(), "drain": {"step": "done", "rounds": 1, "evicted": ["web/web-1"]}},
    ]
    assert record_fn.handle(s, _record(w), NOW)["outcome"] == "drained-without-replacement"


def test_zone_names_of_the_node_group_resolve_through_its_az_ids(market: DayZeroMarket) -> None:
    w = world()
    group = NodeGroup("workers", "lt-0123456789abcdef0", "3", {"us-east-1a": "subnet-a", "us-east-1b": "subnet-b"})
    named = replace(CLUSTER_RECORD, node_groups={"workers": group})
    w.registry.add_cluster(named)
    only_own_zone = chosen(w, market)["replacement"]
    assert (only_own_zone["zone_key"], only_own_zone["az_id"]) == ("us-east-1a", "use1-az4")
    mapped = replace(group, az_ids={"us-east-1a": "use1-az4", "us-east-1b": "use1-az1"})
    w.registry.add_cluster(replace(CLUSTER_RECORD, node_groups={"workers": mapped}))
    w.hive.flag(new_flag(HivePool("us-east-1", "use1-az4", only_own_zone["instance_type"]), "x", NOW), "e", "k")
    second = chosen(w, market)["replacement"]
    assert second["zone_key"] in ("us-east-1a", "us-east-1b")
    assert {"us-east-1a": "use1-az4", "us-east-1b": "use1-az1"}[second["zone_key"]] == second["az_id"]
