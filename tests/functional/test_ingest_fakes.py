"""The ingest handler over in-memory fakes: dedupe, flag, start, drop garbage, retry transient errors."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from cloudoptim.errors import AccessDeniedError, TransientAwsError
from cloudoptim.interruptions.batch import ingest_message
from engines.interruption.hive import HivePool, new_flag
from functions.ingest.handler import Root, handle
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
    return handle(event, Root(w.ingest_deps(), POLICY), now)


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


def test_unknown_instance_flags_the_located_pool_and_starts_nothing() -> None:
    w = world()
    pool = HivePool("us-east-1", "use1-az6", "c5.large")
    w.locator.pools["i-0ffffffffffffffff"] = pool
    run(w, sqs_batch(spot_warning(instance="i-0ffffffffffffffff")))
    assert w.executions.started == {}
    [(flag, _, _)] = w.hive.writes
    assert (flag.pool, flag.tenant_id) == (pool, "ACCOUNT#111122223333")


def test_unknown_instance_without_a_located_pool_changes_nothing() -> None:
    w = world()
    run(w, sqs_batch(spot_warning(instance="i-0eeeeeeeeeeeeeeee")))
    assert w.executions.started == {} and w.hive.writes == []


def test_transient_error_is_a_batch_item_failure_and_the_retry_succeeds() -> None:
    w = world()
    w.executions.fail("start", TransientAwsError("StartExecution: ThrottlingException"))
    answer = run(w, sqs_batch(rebalance(), "not json"))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert w.executions.started == {}
    run(w, sqs_batch(rebalance()))  # SQS redelivers: the released claims (event and instance) let it through
    assert [p["kind"] for p in w.executions.started.values()] == ["rebalance"]


def test_every_message_failing_raises_so_the_whole_batch_is_retried() -> None:
    w = world()
    w.registry.fail("node_for_instance", TransientAwsError("GetItem: ProvisionedThroughputExceededException"))
    with pytest.raises(BatchProcessingError):
        run(w, sqs_batch(spot_warning()))
    assert w.idempotency.claims == {}


def test_escalation_reaches_confirmed_risky_with_three_customers() -> None:
    w = world()
    pool = HivePool("us-east-1", "use1-az4", "m5.xlarge")
    for tenant in ("t2", "t3"):
        w.hive.flag(new_flag(pool, tenant, T0 - 600), "e", "interruption")
    [result] = ingest_message(json.dumps(spot_warning()), "m", w.ingest_deps(), POLICY, NOW)
    assert result.escalation is not None and result.escalation.level == "CONFIRMED_RISKY"


def test_expired_flags_do_not_escalate() -> None:
    w = world()
    pool = HivePool("us-east-1", "use1-az4", "m5.xlarge")
    w.hive.flag(new_flag(pool, "t2", T0 - 1900), "e", "interruption")  # expired 100 s ago, still stored
    [result] = ingest_message(json.dumps(spot_warning()), "m", w.ingest_deps(), POLICY, NOW)
    assert result.escalation is not None and result.escalation.level == "NORMAL"


def test_dry_run_reaches_the_execution_input() -> None:
    w = world()
    handle(sqs_batch(spot_warning()), Root(w.ingest_deps(), replace(POLICY, dry_run=True)), NOW)
    assert next(iter(w.executions.started.values()))["dry_run"] is True
    assert INSTANCE in str(w.executions.started)


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
