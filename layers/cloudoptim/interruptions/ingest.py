"""Ingest one notice: classify, dedupe, resolve the node, flag the pool, start DrainAndReplace.

Idempotency: a conditional put on the `Idempotency` table claims the event id before any effect and is
released when a step fails, so an SQS redelivery can redo the work; Step Functions refuses a second
execution with the same name as a second guard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from cloudoptim.errors import CloudOptimError, TransientAwsError
from cloudoptim.interruptions.execution import ExecutionInput, iso
from cloudoptim.interruptions.notices import ReceivedNotice
from cloudoptim.interruptions.ports import Executions, HiveMind, Idempotency, NodeRecord, PoolLocator, Registry
from engines.interruption.events import Classification, ClassifyPolicy, classify
from engines.interruption.hive import Escalation, HivePool, escalation, new_flag

Status = Literal["started", "duplicate", "ignored", "unknown-instance"]
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def execution_name(key: str) -> str:
    """Step Functions execution name: `[A-Za-z0-9-_]`, at most 80 characters."""
    return _UNSAFE.sub("-", key)[:80]


@dataclass(frozen=True)
class IngestDeps:
    registry: Registry
    hive: HiveMind
    idempotency: Idempotency
    executions: Executions
    locator: PoolLocator


@dataclass(frozen=True)
class IngestPolicy:
    hive_mind_ttl_seconds: int = 1800
    idempotency_ttl_seconds: int = 86400
    dry_run: bool = False
    wait_seconds: int = 5
    guard_ttl_seconds: int = 3600  # how long one instance's replacement or drain blocks another for it
    classify: ClassifyPolicy = field(default_factory=ClassifyPolicy)


@dataclass(frozen=True)
class IngestResult:
    status: Status
    key: str
    instance_id: str
    kind: str | None = None
    execution: str | None = None
    pool: str | None = None
    escalation: Escalation | None = None
    reasons: tuple[str, ...] = ()


def ingest_notice(received: ReceivedNotice, key: str, deps: IngestDeps, policy: IngestPolicy, now: int) -> IngestResult:
    """Handle one notice; `key` is its idempotency key (the event id, plus the instance for multi-instance
    Health events). Transient errors propagate after releasing the claim."""
    notice = received.notice
    decided = classify(notice, policy.classify, now)  # the same decision `cloudoptim events classify` shows
    if not decided.starts_workflow or decided.kind is None:
        return IngestResult("ignored", key, notice.instance_id, reasons=decided.reasons)
    if not deps.idempotency.claim(key, now, policy.idempotency_ttl_seconds):
        return IngestResult("duplicate", key, notice.instance_id, decided.kind, reasons=("event already handled",))
    try:
        result = _handle(received, key, decided, deps, policy, now)
    except Exception:
        deps.idempotency.release(key)
        raise
    deps.idempotency.complete(key)
    return result


def _handle(
    received: ReceivedNotice, key: str, decided: Classification, deps: IngestDeps, policy: IngestPolicy, now: int
) -> IngestResult:
    notice = received.notice
    node = deps.registry.node_for_instance(notice.instance_id)
    if node is None:
        # Only a flag needs the pool: do not call the customer's EC2 for notices that flag nothing.
        pool, where = _locate(received, deps) if decided.flag_pool else (None, "this kind of notice flags no pool")
        tenant = f"ACCOUNT#{received.account or 'unknown'}"
        level = _flag(pool, tenant, received, decided, deps, policy, now) if pool else None
        why = "instance is not a registered node: no workflow"
        return IngestResult(
            "unknown-instance", key, notice.instance_id, decided.kind, None,
            pool.key if pool else None, level, (why, where),
        )  # fmt: skip
    pool = HivePool(node.region, node.az_id, node.instance_type) if node.az_id else None
    level = _flag(pool, node.tenant_id, received, decided, deps, policy, now) if pool else None
    guard, claims = _guard(decided, node.instance_id, deps, policy, now)
    if guard is None:
        why = f"a workflow for {node.instance_id} already replaces it: nothing more to start"
        return IngestResult("duplicate", key, notice.instance_id, decided.kind, None, pool.key if pool else None, level,
                            (*decided.reasons, why))  # fmt: skip
    name = execution_name(key)
    payload = _execution_input(received, decided, node, policy).model_copy(update={"replacement_under_way": guard})
    try:
        started = deps.executions.start(name, payload.wire())
    except Exception:
        for claim in claims:  # the redelivery must find the instance free again
            deps.idempotency.release(claim)
        raise
    for claim in claims:  # held until they expire (a crashed invocation's claims are taken over after a while)
        deps.idempotency.complete(claim)
    reasons = decided.reasons + (() if pool else ("registry item has no az_id: pool not flagged",))
    if guard:
        reasons += ("an earlier workflow launches the replacement: this one cordons and drains now",)
    status: Status = "started" if started == "started" else "duplicate"
    return IngestResult(status, key, notice.instance_id, decided.kind, name, pool.key if pool else None, level, reasons)


def _guard(
    decided: Classification, instance_id: str, deps: IngestDeps, policy: IngestPolicy, now: int
) -> tuple[bool | None, list[str]]:
    """One replacement and one immediate drain per instance, whatever the event ids (a rebalance recommendation
    and then the interruption warning are two events for one machine). Returns None (start nothing) or whether the
    replacement is already under way, and the claims taken. Claims expire, so a failed workflow cannot block the
    instance for ever."""
    if decided.kind == "state-change":
        return False, []
    replace_key, ttl = f"INSTANCE#{instance_id}#replace", policy.guard_ttl_seconds
    if decided.kind != "interruption":
        return (False, [replace_key]) if deps.idempotency.claim(replace_key, now, ttl) else (None, [])
    drain_key = f"INSTANCE#{instance_id}#drain-now"
    if not deps.idempotency.claim(drain_key, now, ttl):
        return None, []
    if deps.idempotency.claim(replace_key, now, ttl):
        return False, [drain_key, replace_key]
    return True, [drain_key]


def _locate(received: ReceivedNotice, deps: IngestDeps) -> tuple[HivePool | None, str]:
    """Best effort: a transient failure is retried (SQS redelivers), a permanent one only loses the flag."""
    try:
        pool = deps.locator.locate(received.account, received.region, received.notice.instance_id)
    except TransientAwsError:
        raise
    except CloudOptimError as exc:
        return None, f"its pool could not be located ({exc}), nothing flagged"
    return pool, (f"pool {pool.key} flagged" if pool else "its pool could not be located, nothing flagged")


def _flag(
    pool: HivePool,
    tenant_id: str,
    received: ReceivedNotice,
    decided: Classification,
    deps: IngestDeps,
    policy: IngestPolicy,
    now: int,
) -> Escalation | None:
    if not decided.flag_pool:
        return None
    flag = new_flag(pool, tenant_id, received.notice.event_time, policy.hive_mind_ttl_seconds)
    deps.hive.flag(flag, received.event_id, decided.kind or "")
    return escalation(deps.hive.flags_for_pool(pool, now), pool, now)


def _execution_input(
    received: ReceivedNotice, decided: Classification, node: NodeRecord, policy: IngestPolicy
) -> ExecutionInput:
    notice = received.notice
    return ExecutionInput.model_validate(
        {
            "event_id": received.event_id,
            "kind": decided.kind,
            "event_time": iso(notice.event_time),
            "deadline": iso(decided.deadline) if decided.deadline is not None else None,
            "tenant_id": node.tenant_id,
            "cluster": node.cluster,
            "node_name": node.node_name,
            "instance_id": node.instance_id,
            "region": node.region,
            "availability_zone": node.availability_zone,
            "az_id": node.az_id,
            "instance_type": node.instance_type,
            "capacity_type": node.capacity_type,
            "node_group": node.node_group,
            "dry_run": policy.dry_run,
            "wait_seconds": policy.wait_seconds,
        }
    )
