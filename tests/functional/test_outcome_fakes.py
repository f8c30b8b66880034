"""RecordOutcome and TerminateReplacement over fakes: failure paths give back the instance's guard claims, a
replacement that never became Ready is terminated only if it carries CloudOptim's tags, and every outcome is one
audit entry per action, a retry writing nothing."""

from __future__ import annotations

from typing import Any

from cloudoptim.interruptions.execution import iso
from cloudoptim.interruptions.outcome import RecordDeps
from cloudoptim.interruptions.ports import LaunchSpec
from cloudoptim.interruptions.terminate import TerminateDeps
from functions.record_outcome import handler as record_fn
from functions.terminate_replacement import handler as terminate_fn
from tests.support.pipeline import CLUSTER, INSTANCE, NODE, T0, TENANT, World, world

NOW = T0 + 30
EVENT = "1e5527d7-bb36-4607-3370-4164db56a40e"
REPLACE, DRAIN = f"INSTANCE#{INSTANCE}#replace", f"INSTANCE#{INSTANCE}#drain-now"
LAUNCH = {"launched": True, "instance_id": "i-0000000000000beef", "capacity_type": "spot",
          "instance_type": "m6i.xlarge"}  # fmt: skip


def state(kind: str = "rebalance", **overrides: Any) -> dict[str, Any]:
    claims = [DRAIN, REPLACE] if kind == "interruption" else [REPLACE]
    base = {
        "event_id": EVENT, "kind": kind, "event_time": iso(T0), "deadline": iso(T0 + 600), "tenant_id": TENANT,
        "cluster": CLUSTER, "node_name": NODE, "instance_id": INSTANCE, "region": "us-east-1",
        "availability_zone": "us-east-1a", "az_id": "use1-az4", "instance_type": "m5.xlarge", "capacity_type": "spot",
        "node_group": "workers", "wait_seconds": 5, "claims": claims, "claim_owner": EVENT,
    }  # fmt: skip
    return {**base, **overrides}


def _held(w: World, *keys: str) -> None:
    for key in keys:
        w.idempotency.claim(key, T0, 3600, owner=EVENT)
        w.idempotency.complete(key)


def test_a_failed_workflow_gives_its_guards_back_and_is_audited() -> None:
    w = world()
    _held(w, DRAIN, REPLACE)
    outcome = record_fn.handle(state("interruption", error={"Error": "KubeAuthError", "Cause": "403"}),
                               RecordDeps(w.audit, w.idempotency), NOW)  # fmt: skip
    assert (outcome["outcome"], outcome["drained"]) == ("failed", False)
    assert sorted(outcome["released"]) == sorted([DRAIN, REPLACE]) and w.idempotency.claims == {}
    [entry] = w.audit.all()
    assert (entry.actor, entry.action_id, entry.outcome) == (EVENT, f"{EVENT}#{INSTANCE}", "failed")


def test_a_guard_someone_else_took_since_is_not_released() -> None:
    w = world()
    w.idempotency.claim(REPLACE, T0, 3600, owner="a-later-event")
    record_fn.handle(state(error={"Error": "X", "Cause": "y"}), RecordDeps(w.audit, w.idempotency), NOW)
    assert REPLACE in w.idempotency.claims


def test_a_replacement_never_ready_is_terminated_and_the_instance_can_be_replaced_again() -> None:
    w = world()
    _held(w, REPLACE)
    launched = w.cloud.launcher_.launch(_spec())  # what LaunchReplacement started, with its tags
    s = state(launch={**LAUNCH, "instance_id": launched.instance_id}, status={"step": "timeout", "attempts": 60})
    s["terminate"] = terminate_fn.handle(s, TerminateDeps(w.registry, w.cloud))
    assert s["terminate"]["terminated"] and w.cloud.terminator_.terminated == [launched.instance_id]
    assert (TENANT, "us-east-1", "terminate") in w.cloud.sessions
    outcome = record_fn.handle(s, RecordDeps(w.audit, w.idempotency), NOW)
    assert outcome["outcome"] == "replacement-not-ready" and outcome["released"] == [REPLACE]
    [entry] = w.audit.all()
    assert entry.after is not None and entry.after["replacement_terminated"] is True


def test_an_instance_without_cloudoptims_tags_is_never_terminated() -> None:
    w = world()
    w.cloud.terminator_.tags["i-0000000000000f00d"] = {"cloudoptim:tenant": "someone-else"}
    s = state(launch={**LAUNCH, "instance_id": "i-0000000000000f00d"})
    result = terminate_fn.handle(s, TerminateDeps(w.registry, w.cloud))
    assert not result["terminated"] and w.cloud.terminator_.terminated == []


def test_a_successful_workflow_keeps_its_guards_and_a_retried_record_adds_nothing() -> None:
    w = world()
    _held(w, REPLACE)
    s = state(launch=LAUNCH, status={"step": "ready"}, cordon={"cordoned": True, "node_name": NODE},
              drain={"step": "done", "rounds": 1, "evicted": ["web/web-1"]})  # fmt: skip
    first = record_fn.handle(s, RecordDeps(w.audit, w.idempotency), NOW)
    again = record_fn.handle(s, RecordDeps(w.audit, w.idempotency), NOW + 5)  # a Step Functions retry
    assert first["outcome"] == "replaced-and-drained" and first["drained"] and first["released"] == []
    assert again["audit_key"] == first["audit_key"] and len(w.audit.all()) == 1
    assert REPLACE in w.idempotency.claims


def _spec() -> LaunchSpec:
    tags = {"cloudoptim:tenant": TENANT, "cloudoptim:replaces": INSTANCE}
    return LaunchSpec("lt-0123456789abcdef0", "3", "m6i.xlarge", "subnet-a", "spot", tags, "token")
