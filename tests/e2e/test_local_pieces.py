"""The pure parts of local mode: drill plan, latency maths, SQS partial failures, seed rewriting, env overlays."""

from __future__ import annotations

import json
import os

from localmode.cluster_seed import seed_nodes, with_provider_ids
from localmode.drill_events import INTERRUPTION, REBALANCE, DrillPlan, notice_entry
from localmode.drill_report import Timeline, drained_at, ingest_starts, percentile
from localmode.environ import environment_overlay
from localmode.lambda_runner import Invocation, code_name, handler_target
from localmode.sqs_poller import failed_ids
from tests.fakes.kube_cluster import web_cluster


def _invocation(function: str, started: float, ended: float, event: object, result: object) -> Invocation:
    return Invocation(function, function, started, ended, False, event, result)


def test_drill_plan_repeats_only_notices_already_sent() -> None:
    plan = DrillPlan.make(1000, 0.1, seed=7)
    assert plan.duplicates == 100 and len(plan.duplicate_at) == 100
    assert 0 not in plan.duplicate_at
    assert len(plan.kinds) == 900 and set(plan.kinds) == {INTERRUPTION, REBALANCE}
    assert DrillPlan.make(1000, 0.1, seed=7) == plan  # reproducible from the seed
    assert DrillPlan.make(1, 0.5, seed=1).duplicates == 0


def test_notice_entries_look_like_ec2s() -> None:
    entry = notice_entry("bus", INTERRUPTION, "i-0abc", "eu-west-1", "123456789012")
    assert entry["Source"] == "aws.ec2" and entry["DetailType"] == INTERRUPTION
    assert json.loads(entry["Detail"]) == {"instance-id": "i-0abc", "instance-action": "terminate"}
    assert json.loads(notice_entry("bus", REBALANCE, "i-0abc", "eu-west-1", "1")["Detail"]) == {"instance-id": "i-0abc"}


def test_latencies_come_from_the_first_delivery_and_the_first_finished_drain() -> None:
    body = json.dumps({"id": "e1"})
    ingest = [
        _invocation("ingest", 10.2, 10.3, {"Records": [{"body": body}]}, {}),
        _invocation("ingest", 12.0, 12.1, {"Records": [{"body": body}]}, {}),  # the duplicate delivery
    ]
    evict = [
        _invocation("evict_pods", 11.0, 11.5, {"event_id": "e1"}, {"step": "wait"}),
        _invocation("evict_pods", 13.0, 13.4, {"event_id": "e1"}, {"step": "done"}),
    ]
    timeline = Timeline(put_at={"e1": 10.0}, started_at={"e1": 10.25})
    timeline.ingest_at, timeline.drained = ingest_starts(ingest), drained_at(evict)
    latency = timeline.latency_ms()
    assert latency["ingest_to_start_p50"] == 50.0
    assert latency["event_to_drained_p50"] == 3400.0
    assert percentile([], 0.5) is None


def test_partial_batch_failures_fail_only_the_named_messages() -> None:
    assert failed_ids({"Payload": {"batchItemFailures": [{"itemIdentifier": "b"}]}}, True, ["a", "b"]) == {"b"}
    assert failed_ids({"Payload": {"batchItemFailures": []}}, True, ["a"]) == set()
    assert failed_ids({"FunctionError": "Unhandled", "Payload": {}}, True, ["a", "b"]) == {"a", "b"}
    assert failed_ids({"Payload": {"batchItemFailures": [{"itemIdentifier": "a"}]}}, False, ["a"]) == set()


def test_seed_nodes_get_the_moto_instances_provider_ids() -> None:
    seed = web_cluster()
    nodes = {n.name: n for n in seed_nodes(seed, default_zone="eu-west-1a")}
    assert nodes["node-b"].zone == "eu-west-1b" and nodes["node-b"].capacity_type == "spot"
    assert nodes["node-a"].node_group == "general" and nodes["node-a"].instance_type == "m5.xlarge"
    patched = with_provider_ids(seed, {"node-a": "i-0123"}, {"node-a": "eu-west-1a"})
    node_a = next(i for i in patched["items"] if i["metadata"]["name"] == "node-a")
    assert node_a["spec"]["providerID"] == "aws:///eu-west-1a/i-0123"
    assert seed["items"][0]["spec"]["providerID"] != "aws:///eu-west-1a/i-0123"  # the seed itself is untouched


def test_handler_paths_resolve_like_the_lambda_runtime() -> None:
    assert handler_target("functions/evict_pods/handler.handler") == ("functions.evict_pods.handler", "handler")
    assert code_name("functions/evict_pods/handler.handler") == "evict_pods"


def test_overlay_writes_and_deletes_stay_inside_the_overlay() -> None:
    os.environ["CLOUDOPTIM_OUTER"] = "outer"
    try:
        with environment_overlay({"CLOUDOPTIM_INNER": "inner"}):
            del os.environ["CLOUDOPTIM_OUTER"]
            os.environ["CLOUDOPTIM_WRITTEN"] = "w"
            assert "CLOUDOPTIM_OUTER" not in os.environ and os.environ["CLOUDOPTIM_WRITTEN"] == "w"
            assert "CLOUDOPTIM_INNER" in dict(os.environ)
        assert os.environ["CLOUDOPTIM_OUTER"] == "outer"
        assert "CLOUDOPTIM_WRITTEN" not in os.environ and "CLOUDOPTIM_INNER" not in os.environ
    finally:
        del os.environ["CLOUDOPTIM_OUTER"]
