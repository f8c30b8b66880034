"""RecordOutcome: one audit item per execution, success or failure, saying what happened and why."""

from __future__ import annotations

from cloudoptim.interruptions.ingest import execution_name
from cloudoptim.interruptions.models import DrainState, Outcome
from cloudoptim.interruptions.ports import Audit, AuditEntry


def outcome_of(state: DrainState) -> tuple[str, list[str]]:
    """The outcome word and the reasons behind it."""
    if state.error is not None:
        return "failed", [f"{state.error.error}: {state.error.cause or ''}".strip()]
    if state.kind == "state-change":
        return "recorded", ["instance already stopping or gone: recorded only"]
    reasons: list[str] = []
    for part in (state.replacement, state.launch, state.status, state.cordon, state.drain):
        if part is not None:
            reasons += part.reasons
    if state.status is not None and state.status.step == "timeout":
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
    return ("drained-without-replacement" if state.launch_error else "replaced-and-drained"), reasons


def record_outcome(state: DrainState, audit: Audit, now: int) -> Outcome:
    state = state.merged()
    outcome, reasons = outcome_of(state)
    launch = state.launch
    replacement = None
    if launch is not None:
        replacement = launch.instance_id or f"{launch.capacity_type} {launch.instance_type} (not launched)"
    entry = AuditEntry(
        tenant_id=state.tenant_id,
        cluster=state.cluster,
        at=now,
        execution=execution_name(state.event_id),
        event_id=state.event_id,
        kind=state.kind,
        node=state.node_name,
        outcome=outcome,
        replacement=replacement,
        pods_evicted=len(state.drain.evicted) if state.drain else 0,
        reasons=tuple(reasons),
        dry_run=state.dry_run,
    )
    key = audit.record(entry)
    return Outcome(outcome=outcome, audit_key=key, dry_run=state.dry_run, reasons=reasons)
