"""RecordOutcome: one audit entry per execution and instance, success or failure, saying what happened and why;
on the failure paths it gives back the instance's guard claims, so a later notice for it can act again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudoptim.audit.log import AuditEntry, AuditLog
from cloudoptim.interruptions.ingest import execution_name
from cloudoptim.interruptions.models import DrainState, Outcome
from cloudoptim.interruptions.ports import Idempotency

# Outcomes where the node was drained, fully: what the workflow is for.
DRAINED = frozenset({"replaced-and-drained", "drained-replaced-earlier", "drained-without-replacement"})


@dataclass(frozen=True)
class RecordDeps:
    audit: AuditLog
    claims: Idempotency


def outcome_of(state: DrainState) -> tuple[str, list[str]]:
    """The outcome word and the reasons behind it."""
    if state.error is not None:
        return "failed", [f"{state.error.error}: {state.error.cause or ''}".strip()]
    if state.kind == "state-change":
        return "recorded", ["instance already stopping or gone: recorded only"]
    reasons: list[str] = []
    for part in (state.replacement, state.launch, state.status, state.terminate, state.cordon, state.drain):
        if part is not None:
            reasons += part.reasons
    if state.status_error is not None:
        reasons.append(f"whether the replacement joined could not be checked: {state.status_error.error}")
    if state.terminate_error is not None:
        reasons.append(f"terminating the replacement failed: {state.terminate_error.error}")
    if state.kind != "interruption" and state.status is not None and state.status.step == "timeout":
        return "replacement-not-ready", [*reasons, "old node left running: drain skipped without a Ready replacement"]
    if state.launch_error is not None:
        reasons.append(f"launch failed: {state.launch_error.error}")
    if state.drain_error is not None:
        reasons.append(f"drain failed: {state.drain_error.error}")
        return "drain-failed", reasons
    if state.drain is not None and state.drain.step == "give-up":
        return "drained-partially", reasons
    if state.replacement_under_way:
        return "drained-replaced-earlier", [*reasons, "the replacement was launched by an earlier workflow"]
    return ("replaced-and-drained" if _replacement_running(state) else "drained-without-replacement"), reasons


def _replacement_running(state: DrainState) -> bool:
    launch = state.launch
    launched = launch is not None and (launch.launched or launch.dry_run)
    terminated = state.terminate is not None and state.terminate.terminated
    return launched and not terminated and state.launch_error is None


def claims_to_release(state: DrainState, outcome: str) -> list[str]:
    """The guards whose work did not happen: `#replace` unless a replacement runs, `#drain-now` unless the node
    was drained (fully or until the deadline)."""
    keep_replace = state.replacement_under_way or (
        outcome in ("replaced-and-drained", "drained-partially") and _replacement_running(state)
    )
    keep_drain = outcome in DRAINED or outcome == "drained-partially"
    released = []
    for claim in state.claims:
        if (claim.endswith("#replace") and not keep_replace) or (claim.endswith("#drain-now") and not keep_drain):
            released.append(claim)
    return released


def audit_entry(state: DrainState, outcome: str, reasons: list[str], now: int) -> AuditEntry:
    execution = execution_name(state.event_id)
    before = {
        "node": state.node_name, "instance_id": state.instance_id, "instance_type": state.instance_type,
        "capacity_type": state.capacity_type, "availability_zone": state.availability_zone,
    }  # fmt: skip
    after: dict[str, Any] | None = None
    if state.kind != "state-change":
        launch = state.launch
        after = {
            "replacement": (launch.instance_id or f"{launch.capacity_type} {launch.instance_type} (not launched)")
            if launch is not None
            else None,
            "replacement_terminated": bool(state.terminate and state.terminate.terminated),
            "cordoned": bool(state.cordon and state.cordon.cordoned),
            "pods_evicted": len(state.drain.evicted) if state.drain else 0,
            "pods_blocked": list(state.drain.blocked) if state.drain else [],
        }
    return AuditEntry(
        tenant_id=state.tenant_id,
        action_id=f"{execution}#{state.instance_id}",
        actor=execution,
        at=now,
        action=f"drain-and-replace/{state.kind}",
        target={
            "cluster": state.cluster,
            "node": state.node_name,
            "instance_id": state.instance_id,
            "region": state.region,
            "event_id": state.event_id,
        },
        before=before,
        after=after,
        outcome=outcome,
        reasons=tuple(reasons),
        dry_run=state.dry_run,
    )


def record_outcome(state: DrainState, deps: RecordDeps, now: int) -> Outcome:
    state = state.merged()
    outcome, reasons = outcome_of(state)
    key = deps.audit.record(audit_entry(state, outcome, reasons, now))
    released = claims_to_release(state, outcome)
    for claim in released:  # after the audit entry: a retry of this task releases them again, harmlessly
        deps.claims.release(claim, owner=state.claim_owner)
    return Outcome(
        outcome=outcome, drained=outcome in DRAINED, audit_key=key, dry_run=state.dry_run, released=released,
        reasons=reasons,
    )  # fmt: skip
