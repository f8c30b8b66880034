"""The scheduled tick (every few minutes): for every cluster with a schedule, compare what it should be now (the
schedule, a manual wake-up) with what it is, and start the Hibernate state machine when they differ.

A sleep runs for real only when the cluster's policy says `automatic` and the tenant is not in safe mode; else it
runs dry (decides, records, changes nothing). A wake is as real as the sleep it undoes. Two ticks never start the
same transition: the state is claimed with a conditional write before the execution starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cloudoptim.errors import CloudOptimError, ConflictError, PreconditionFailedError
from cloudoptim.hibernation.ports import TickDeps
from cloudoptim.hibernation.records import SCHEDULE, Phase, state_of, update_state, write_state
from cloudoptim.pricing.regions import tenant_ids
from cloudoptim.tenancy.policy import ClusterPolicy
from engines.hibernation.schedule import Schedule
from engines.hibernation.timeline import desired

STUCK_AFTER = 3600  # the state machine's own timeout: a transition older than this ended without recording
_NAME = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Decision:
    tenant: str
    cluster: str
    action: str | None  # "sleep", "wake", or None
    outcome: str  # started, duplicate, none, in-progress, claimed-elsewhere, automation-off, error
    reason: str
    dry_run: bool = False
    execution: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "cluster": self.cluster, "action": self.action, "outcome": self.outcome,
                "reason": self.reason, "dry_run": self.dry_run, "execution": self.execution}  # fmt: skip


def execution_name(tenant: str, cluster: str, action: str, now: int) -> str:
    """Unique per transition and at most 80 characters of [A-Za-z0-9-_] (Step Functions' rule)."""
    return _NAME.sub("-", f"{tenant}-{cluster}")[:60] + f"-{action}-{now}"


def tick(deps: TickDeps, now: int, wait_seconds: int = 30) -> list[Decision]:
    decisions = []
    for tenant in tenant_ids(deps.documents):
        cursor: str | None = None
        while True:
            page = deps.documents.list(tenant, SCHEDULE, 100, cursor)
            for document in page.items:
                schedule = Schedule.model_validate(document.body)
                decisions.append(decide(deps, tenant, document.id, schedule, now, wait_seconds))
            if page.cursor is None:
                break
            cursor = page.cursor
    return decisions


def _level(deps: TickDeps, tenant: str, cluster: str) -> str:
    found = deps.documents.get(tenant, "policy", cluster)
    policy = ClusterPolicy.model_validate(found.body) if found else ClusterPolicy()
    return policy.automation.hibernation


def _safe_mode(deps: TickDeps, tenant: str) -> bool:
    found = deps.documents.get(tenant, "settings", "current")
    return bool(found.body.get("safe_mode")) if found else False


def decide(deps: TickDeps, tenant: str, cluster: str, schedule: Schedule, now: int, wait_seconds: int) -> Decision:
    current = state_of(deps.documents, tenant, cluster)
    state = dict(current.body)
    phase = Phase(state["state"])
    if phase in (Phase.SLEEPING, Phase.WAKING):
        if now - int(state.get("since") or now) < STUCK_AFTER:
            return Decision(tenant, cluster, None, "in-progress", f"{phase.value} ({state.get('execution')})")
        current = _unstick(deps, tenant, cluster, phase, now)
        state, phase = dict(current.body), Phase.ASLEEP
    wanted = desired(schedule, now, state.get("manual_wake_until"))
    action = (
        "sleep"
        if phase is Phase.AWAKE and not wanted.awake
        else "wake"
        if phase is Phase.ASLEEP and wanted.awake
        else None
    )
    if action is None:
        return Decision(tenant, cluster, None, "none", wanted.reason)
    level = _level(deps, tenant, cluster)
    if action == "sleep" and level == "off":
        return Decision(tenant, cluster, action, "automation-off", "hibernation automation is off in the policy")
    # A wake undoes what its sleep did: real after a real sleep, whatever the policy says now.
    dry_run = (level != "automatic" or _safe_mode(deps, tenant)) if action == "sleep" else bool(state.get("dry_run"))
    name = execution_name(tenant, cluster, action, now)
    moving = Phase.SLEEPING if action == "sleep" else Phase.WAKING
    claimed = {**state, "state": moving.value, "since": now, "execution": name, "error": None}
    try:
        write_state(deps.documents, tenant, current, claimed, now)
    except (ConflictError, PreconditionFailedError):
        return Decision(tenant, cluster, action, "claimed-elsewhere", "another tick started this transition")
    payload = {
        "tenant": tenant, "cluster": cluster, "action": action, "execution": name, "dry_run": dry_run,
        "snapshot": state.get("snapshot"), "started_at": now, "wait_seconds": wait_seconds, "attempts": 0,
    }  # fmt: skip
    try:
        outcome = deps.executions.start(name, payload)
    except CloudOptimError as exc:
        message = str(exc)
        back = {"state": phase.value, "execution": None, "error": message}
        update_state(deps.documents, tenant, cluster, lambda s: {**s, **back}, now)
        return Decision(tenant, cluster, action, "error", message, dry_run, name)
    return Decision(tenant, cluster, action, outcome, wanted.reason, dry_run, name)


def _unstick(deps: TickDeps, tenant: str, cluster: str, phase: Phase, now: int) -> Any:
    """A transition that never recorded its end: treat the cluster as (partly) asleep, so the next wake restores
    whatever the snapshot says was changed."""
    error = f"{phase.value} did not finish within {STUCK_AFTER // 60} min; treated as asleep"
    asleep = {"state": Phase.ASLEEP.value, "execution": None, "error": error}
    return update_state(deps.documents, tenant, cluster, lambda s: {**s, **asleep}, now)
