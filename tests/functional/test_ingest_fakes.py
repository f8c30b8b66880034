"""The ingest handler over in-memory fakes: dedupe, flag, start, drop garbage, refuse forgeries and replays,
retry transient errors and claims held elsewhere soon (inside the two-minute warning)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from cloudoptim.errors import AccessDeniedError, TransientAwsError
from cloudoptim.interruptions.batch import ingest_message
from cloudoptim.interruptions.ports import FoundInstance
from engines.interruption.hive import HivePool, new_flag, new_record
from functions.ingest.handler import Root, handle
from tests.fakes.hive import FakeEscalations
from tests.support.pipeline import (
    INSTANCE,
    POLICY,
    T0,
    TENANT,
    World,
    health,
    rebalance,
    spot_warning,
    sqs_batch,
    state_change,
    world,
)

NOW = T0 + 5


def run(w: World, event: dict[str, Any], now: int = NOW) -> dict[str, Any]:
    return handle(event, Root(w.ingest_deps(), POLICY, w.redelivery), now)


def test_spot_warning_flags_the_pool_and_starts_the_workflow_with_the_contract_input() -> None:
    w = world()
    assert run(w, sqs_batch(spot_warning())) == {"batchItemFailures": []}
    [(name, payload)] = w.executions.started.items()
    assert name == "1e5527d7-bb36-4607-3370-4164db56a40e"
    assert payload["kind"] == "interruption" and payload["deadline"] == "2025-11-30T02:35:20Z"
    assert {k: payload[k] for k in ("tenant_id", "cluster", "node_name", "az_id", "node_group", "dry_run")} == {
        "tenant_id": TENANT, "cluster": "prod", "node_name": "ip-10-0-1-23.ec2.internal", "az_id": "use1-az4",
        "node_group": "workers", "dry_run": False,
    }  # fmt: skip
    [(flag, event_id, kind)] = w.hive.writes
    assert event_id == "1e5527d7-bb36-4607-3370-4164db56a40e"
    assert flag.pool == HivePool("us-east-1", "use1-az4", "m5.xlarge")
    assert (flag.tenant_id, flag.expires_at, kind) == (TENANT, T0 + 1800, "interruption")


def test_duplicate_event_starts_nothing() -> None:
    w = world()
    run(w, sqs_batch(spot_warning()))
    run(w, sqs_batch(spot_warning()))
    assert len(w.executions.started) == 1
    assert len(w.hive.writes) == 1


def test_malformed_and_unknown_messages_are_dropped_and_the_batch_goes_on() -> None:
    w = world()
    lifecycle = {"version": "0", "id": "x", "detail-type": "EC2 Instance-terminate Lifecycle Action",
                 "source": "aws.autoscaling", "time": "2020-07-01T22:19:58Z", "region": "us-east-1",
                 "resources": [], "detail": {}}  # fmt: skip
    answer = run(
        w, sqs_batch("not json", lifecycle, {"detail-type": "EC2 Spot Instance Interruption Warning"}, rebalance())
    )
    assert answer == {"batchItemFailures": []}
    assert [p["kind"] for p in w.executions.started.values()] == ["rebalance"]


def test_rebalance_and_health_start_without_flagging() -> None:
    w, other = world(), world()
    run(w, sqs_batch(rebalance()))
    run(other, sqs_batch(health()))
    assert [p["kind"] for p in w.executions.started.values()] == ["rebalance"]
    assert [p["kind"] for p in other.executions.started.values()] == ["scheduled-change"]
    assert w.hive.writes == other.hive.writes == []


def test_a_second_replacement_for_the_same_instance_is_never_started() -> None:
    w = world()
    run(w, sqs_batch(rebalance(), health()))  # two event ids, one machine: one replacement
    assert [p["kind"] for p in w.executions.started.values()] == ["rebalance"]


def test_interruption_after_a_rebalance_drains_now_without_launching_again() -> None:
    w = world()
    run(w, sqs_batch(rebalance()))
    run(w, sqs_batch(spot_warning()), now=NOW + 60)
    first, second = w.executions.started.values()
    assert (first["kind"], first["replacement_under_way"]) == ("rebalance", False)
    assert (second["kind"], second["replacement_under_way"]) == ("interruption", True)
    run(w, sqs_batch(spot_warning(event_id="0e5527d7-aaaa-4607-3370-4164db56a40e")), now=NOW + 70)
    assert len(w.executions.started) == 2  # a second warning for the machine adds nothing


def test_rebalance_after_an_interruption_starts_nothing() -> None:
    w = world()
    run(w, sqs_batch(spot_warning(), rebalance()))
    assert [(p["kind"], p["replacement_under_way"]) for p in w.executions.started.values()] == [("interruption", False)]


def test_routine_state_change_is_ignored_and_ending_state_is_recorded() -> None:
    w = world()
    run(w, sqs_batch(state_change("running", event_id="a"), state_change("terminated", event_id="b")))
    assert [(n, p["kind"]) for n, p in w.executions.started.items()] == [("b", "state-change")]


def test_unknown_instance_flags_the_located_pool_under_its_tenant_and_starts_nothing() -> None:
    w = world()
    pool = HivePool("us-east-1", "use1-az6", "c5.large")
    w.locator.pools["i-0ffffffffffffffff"] = pool
    run(w, sqs_batch(spot_warning(instance="i-0ffffffffffffffff")))
    assert w.executions.started == {}
    [(flag, _, _)] = w.hive.writes
    # the tenant the account resolves to (a keyed read), so one customer is one voice in the hive mind
    assert (flag.pool, flag.tenant_id) == (pool, TENANT)
    assert w.locator.asked == [(TENANT, "i-0ffffffffffffffff")]


def _joined_since_discovery(cluster: str, group: str = "workers") -> FoundInstance:
    pool = HivePool("us-east-1", "use1-az6", "c5.large")
    return FoundInstance(pool, "us-east-1b", "c5.large", "spot", "ip-10-0-9-9.ec2.internal", cluster, group)


def test_a_node_of_a_registered_cluster_not_yet_discovered_is_registered_and_drained() -> None:
    w = world()
    w.locator.found["i-0aaaaaaaaaaaaaaaa"] = _joined_since_discovery("prod")
    run(w, sqs_batch(spot_warning(instance="i-0aaaaaaaaaaaaaaaa")))
    [(_, payload)] = w.executions.started.items()
    assert (payload["cluster"], payload["node_name"], payload["node_group"], payload["az_id"]) == (
        "prod", "ip-10-0-9-9.ec2.internal", "workers", "use1-az6")  # fmt: skip
    node = w.registry.node_for_instance("i-0aaaaaaaaaaaaaaaa")  # registered: its next notice is an ordinary one
    assert node is not None and (node.tenant_id, node.cluster, node.capacity_type) == (TENANT, "prod", "spot")
    [(flag, _, _)] = w.hive.writes
    assert flag.pool == HivePool("us-east-1", "use1-az6", "c5.large")


def test_an_unknown_instance_tagged_for_an_unregistered_cluster_or_group_starts_nothing_or_no_launch_group() -> None:
    w = world()
    w.locator.found["i-0bbbbbbbbbbbbbbbb"] = _joined_since_discovery("someone-elses")
    w.locator.found["i-0cccccccccccccccc"] = _joined_since_discovery("prod", group="not-registered")
    run(w, sqs_batch(spot_warning(instance="i-0bbbbbbbbbbbbbbbb", event_id="e-b")))
    assert w.executions.started == {} and w.registry.node_for_instance("i-0bbbbbbbbbbbbbbbb") is None
    assert len(w.hive.writes) == 1  # the interruption still warns every other customer off the pool
    run(w, sqs_batch(spot_warning(instance="i-0cccccccccccccccc", event_id="e-c")))
    [(_, payload)] = w.executions.started.items()
    assert payload["node_group"] is None  # drained; no launch template it does not know


def test_unknown_instance_of_an_unregistered_account_is_not_even_looked_up() -> None:
    w = world()
    event = {**spot_warning(instance="i-0ffffffffffffffff"), "account": "999999999999"}
    run(w, sqs_batch(event))
    assert w.locator.asked == [] and w.hive.writes == [] and w.executions.started == {}


def test_unknown_instance_without_a_located_pool_changes_nothing() -> None:
    w = world()
    run(w, sqs_batch(spot_warning(instance="i-0eeeeeeeeeeeeeeee")))
    assert w.executions.started == {} and w.hive.writes == []


def test_transient_error_is_a_batch_item_failure_retried_within_seconds() -> None:
    w = world()
    w.executions.fail("start", TransientAwsError("StartExecution: ThrottlingException"))
    answer = run(w, sqs_batch(rebalance(), "not json"))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert w.executions.started == {}
    [(receipt, seconds)] = w.redelivery.retried  # visibility shortened: not the queue's full 30 s
    assert receipt == "rh-0" and POLICY.retry_after_seconds <= seconds <= 2 * POLICY.retry_after_seconds
    run(w, sqs_batch(rebalance()))  # SQS redelivers: the released claims (event and instance) let it through
    assert [p["kind"] for p in w.executions.started.values()] == ["rebalance"]


def test_every_message_failing_raises_so_the_whole_batch_is_retried() -> None:
    w = world()
    w.registry.fail("node_for_instance", TransientAwsError("GetItem: ProvisionedThroughputExceededException"))
    with pytest.raises(BatchProcessingError):
        run(w, sqs_batch(spot_warning()))
    assert w.idempotency.claims == {}


def test_escalation_reaches_confirmed_risky_with_three_customers_and_hands_the_pool_over() -> None:
    w = world()
    pool = HivePool("us-east-1", "use1-az4", "m5.xlarge")
    # interrupted 45 and 40 minutes ago: their 30-minute flags are gone, their records still count
    for tenant, ago in (("t2", 2700), ("t3", 2400)):
        w.hive.record(new_record(pool, tenant, NOW - ago), f"e-{tenant}")
    escalations = FakeEscalations()
    deps = replace(w.ingest_deps(), escalations=escalations)
    [result] = ingest_message(json.dumps(spot_warning()), "m", deps, POLICY, NOW)
    assert result.escalation is not None and result.escalation.level == "CONFIRMED_RISKY"
    assert result.escalation.customers == 3 and result.escalation.interruptions == 3
    assert escalations.pools == [pool] and escalations.levels[0].level == "CONFIRMED_RISKY"


def test_two_customers_are_uncertain_and_nothing_is_handed_over() -> None:
    w = world()
    pool = HivePool("us-east-1", "use1-az4", "m5.xlarge")
    w.hive.record(new_record(pool, "t2", NOW - 3000), "e-t2")
    w.hive.record(new_record(pool, "t9", NOW - 3700), "e-t9")  # outside the 60-minute window
    escalations = FakeEscalations()
    deps = replace(w.ingest_deps(), escalations=escalations)
    [result] = ingest_message(json.dumps(spot_warning()), "m", deps, POLICY, NOW)
    assert result.escalation is not None and result.escalation.level == "UNCERTAIN"
    assert escalations.pools == []


def test_expired_flags_do_not_escalate() -> None:
    w = world()
    pool = HivePool("us-east-1", "use1-az4", "m5.xlarge")
    w.hive.flag(new_flag(pool, "t2", T0 - 1900), "e", "interruption")  # expired 100 s ago, still stored
    [result] = ingest_message(json.dumps(spot_warning()), "m", w.ingest_deps(), POLICY, NOW)
    assert result.escalation is not None and result.escalation.level == "NORMAL"


def test_dry_run_reaches_the_execution_input() -> None:
    w = world()
    handle(sqs_batch(spot_warning()), Root(w.ingest_deps(), replace(POLICY, dry_run=True), w.redelivery), NOW)
    assert next(iter(w.executions.started.values()))["dry_run"] is True
    assert INSTANCE in str(w.executions.started)


def test_the_tenants_safe_mode_makes_the_workflow_dry_whatever_the_deployment_says() -> None:
    w = world()
    tenant = w.registry.tenants["acme"]
    w.registry.add_tenant(replace(tenant, safe_mode=True))
    handle(sqs_batch(spot_warning()), Root(w.ingest_deps(), POLICY, w.redelivery), NOW)
    assert POLICY.dry_run is False and next(iter(w.executions.started.values()))["dry_run"] is True


def test_unknown_instance_whose_account_role_is_refused_is_dropped_not_retried() -> None:
    w = world()
    w.locator.fail("locate", AccessDeniedError("AssumeRole: AccessDenied"))
    assert run(w, sqs_batch(spot_warning(instance="i-0eeeeeeeeeeeeeeee"))) == {"batchItemFailures": []}
    assert w.hive.writes == [] and w.executions.started == {}


def test_unknown_instance_lookup_throttled_is_retried() -> None:
    w = world()
    w.locator.fail("locate", TransientAwsError("DescribeInstances: RequestLimitExceeded"))
    with pytest.raises(BatchProcessingError):
        run(w, sqs_batch(spot_warning(instance="i-0eeeeeeeeeeeeeeee")))


def test_a_claim_another_invocation_holds_is_a_retry_not_a_duplicate() -> None:
    w = world()
    w.idempotency.claim("1e5527d7-bb36-4607-3370-4164db56a40e", NOW, 86400)  # a live invocation holds it
    answer = run(w, sqs_batch(spot_warning(), "not json"))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert len(w.redelivery.retried) == 1 and w.executions.started == {}
    # the holder crashed: once its in-progress window has passed, the redelivery takes over and starts the workflow
    run(w, sqs_batch(spot_warning()), now=NOW + w.idempotency.in_progress_seconds)
    assert len(w.executions.started) == 1


def test_a_guard_another_invocation_is_taking_is_a_retry_too() -> None:
    w = world()
    w.idempotency.claim(f"INSTANCE#{INSTANCE}#replace", NOW, 3600, owner="another-event")
    assert run(w, sqs_batch(rebalance(), "not json")) == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert "5d5555d5-dd55-5555-5555-5555dd55d55d" not in w.idempotency.claims  # released for the retry


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"account": "999999999999"}, "not tenant acme's account"),
        ({"account": None}, "names no account"),
        ({"region": "eu-west-1"}, "instance runs in us-east-1"),
        ({"source": "custom.attacker"}, "does not emit"),
        ({"time": "2025-11-30T01:00:00Z"}, "stale"),
        ({"time": "2025-11-30T04:00:00Z"}, "in the future"),
    ],
)
def test_forged_foreign_and_replayed_notices_start_nothing(change: dict[str, Any], why: str) -> None:
    w = world()
    [result] = ingest_message(json.dumps({**spot_warning(), **change}), "m", w.ingest_deps(), POLICY, NOW)
    assert result.status == "rejected" and why in result.reasons[0]
    assert w.executions.started == {} and w.hive.writes == []


def test_oversized_and_deeply_nested_messages_are_dropped_unread() -> None:
    w = world()
    big = {**spot_warning(), "detail": {"instance-id": INSTANCE, "padding": "x" * 70_000}}
    deep = json.dumps(spot_warning())[:-1] + ', "junk": ' + "[" * 5000 + "]" * 5000 + "}"
    assert run(w, sqs_batch(big, deep)) == {"batchItemFailures": []}
    assert w.executions.started == {} and w.idempotency.claims == {}
