"""The end of a sleep or wake: verify a wake against its snapshot, record the event in the cluster's history and
the audit log (once per execution, however often the step is retried), and set the cluster's state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from cloudoptim.audit.log import AuditEntry
from cloudoptim.hibernation.ports import ClusterWorkloads, HibernationDeps
from cloudoptim.hibernation.records import ACTOR, Phase, remember, update_state
from engines.hibernation.plan import Entry, Inventory, verify

State = dict[str, Any]


class Reachable(Protocol):
    @property
    def kube(self) -> ClusterWorkloads: ...
    def inventory(self) -> Inventory: ...


def _event(state: State, now: int, outcome: str, reasons: Sequence[str], **extra: Any) -> dict[str, Any]:
    counts = dict(state.get("counts") or {})
    return {
        "action": state["action"], "at": now, "started_at": state.get("started_at"), "execution": state["execution"],
        "dry_run": bool(state["dry_run"]), "outcome": outcome, "snapshot": state.get("snapshot"), **counts,
        "reasons": list(reasons), **extra,
    }  # fmt: skip


def _close(
    deps: HibernationDeps, state: State, event: dict[str, Any], phase: Phase, now: int, error: str | None
) -> None:
    tenant, cluster = str(state["tenant"]), str(state["cluster"])
    # The execution and outcome name the action: a retried step finds its entry already there.
    deps.audit.record(AuditEntry(
        tenant, f"{state['execution']}:{event['outcome']}", ACTOR, now, f"hibernation.{state['action']}",
        {"cluster": cluster}, None, {k: v for k, v in event.items() if k not in ("reasons",)}, str(event["outcome"]),
        tuple(event["reasons"]), bool(state["dry_run"]),
    ))  # fmt: skip

    def closed(body: dict[str, Any]) -> dict[str, Any]:
        body.update(state=phase.value, since=now, dry_run=bool(state["dry_run"]), execution=None, error=error)
        if state.get("snapshot"):
            body["snapshot"] = state["snapshot"]
        return remember(body, event)

    update_state(deps.documents, tenant, cluster, closed, now)


def record(deps: HibernationDeps, state: State, now: int, cluster: Reachable, entries: Sequence[Entry]) -> State:
    nodes = cluster.kube.nodes()
    drift = list(state.get("drift") or [])
    reasons = [f"{d['key']}: {d['reason']}" for d in drift] + list(state.get("timed_out") or [])
    if state["action"] == "sleep":
        event = _event(state, now, "ok", reasons, nodes_before=state.get("nodes_before"), nodes_after=nodes.total)
        _close(deps, state, event, Phase.ASLEEP, now, None)
    else:
        mismatches = verify(entries, cluster.inventory())
        pending = cluster.kube.pods_pending()
        outcome = "ok" if not mismatches else "restored-with-differences"
        detail = [{"key": m.key, "expected": m.expected, "found": m.found} for m in mismatches]
        event = _event(state, now, outcome, reasons, nodes_after=nodes.ready, restore_mismatches=len(mismatches),
                       mismatches=detail[:20], drift=len(drift), pods_pending=pending)  # fmt: skip
        _close(deps, state, event, Phase.AWAKE, now, None)
    return {**state, "recorded": event}


def failed(deps: HibernationDeps, state: State, now: int) -> State:
    """A step failed for good: record it; the cluster counts as (partly) asleep so a wake restores the snapshot."""
    error = state.get("error") or {}
    message = (
        f"{error.get('Error', 'Error')}: {error.get('Cause', '')}".strip() if isinstance(error, dict) else str(error)
    )
    event = _event(state, now, "failed", [message[:500]])
    _close(deps, state, event, Phase.ASLEEP, now, message[:500])
    return {**state, "recorded": event}
