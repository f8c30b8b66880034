"""Ingest one notice: classify, admit, dedupe, resolve the node, check its origin, flag the pool, start the workflow.

Idempotency: a conditional put on the `Idempotency` table claims the event id before any effect and is released
when a step fails, so an SQS redelivery can redo the work; a claim another invocation still holds is a retry,
never a duplicate. Step Functions refuses a second execution with the same name as a second guard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from cloudoptim.errors import ClaimInProgressError, CloudOptimError, TransientAwsError
from cloudoptim.interruptions.admission import origin_refusal, source_refusal
from cloudoptim.interruptions.adopt import adopt
from cloudoptim.interruptions.execution import ExecutionInput, iso
from cloudoptim.interruptions.notices import ReceivedNotice
from cloudoptim.interruptions.ports import (
    Claim,
    Escalations,
    Executions,
    FoundInstance,
    HiveMind,
    Idempotency,
    NodeRecord,
    PoolLocator,
    Registry,
    TenantRecord,
)
from engines.interruption.events import Classification, ClassifyPolicy, classify, refusal
from engines.interruption.hive import Escalation, HivePool, escalation, new_flag, new_record

Status = Literal["started", "duplicate", "ignored", "unknown-instance", "rejected"]
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
    escalations: Escalations | None = None  # None: the level is reported, nothing proactive follows


@dataclass(frozen=True)
class IngestPolicy:
    hive_mind_ttl_seconds: int = 1800
    idempotency_ttl_seconds: int = 86400
    dry_run: bool = False
    wait_seconds: int = 5
    guard_ttl_seconds: int = 3600  # how long one instance's replacement or drain blocks another for it
    retry_after_seconds: int = 2  # a transient failure comes back after this (plus jitter), not the full visibility
    claim_in_progress_seconds: int = 20  # a claim held elsewhere is retried once this window has passed
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
    Health events). Transient errors and claims held elsewhere propagate after releasing what was taken."""
    notice = received.notice
    why = source_refusal(received) or refusal(notice, now, policy.classify)
    if why is not None:  # forged, replayed or misdated: counted apart from notices that simply need nothing
        return IngestResult("rejected", key, notice.instance_id, reasons=(why,))
    decided = classify(notice, policy.classify, now)  # the same decision `cloudoptim events classify` shows
    if not decided.starts_workflow or decided.kind is None:
        return IngestResult("ignored", key, notice.instance_id, reasons=decided.reasons)
    claim = deps.idempotency.claim(key, now, policy.idempotency_ttl_seconds, owner=key)
    if claim is Claim.DONE:
        return IngestResult("duplicate", key, notice.instance_id, decided.kind, reasons=("event already handled",))
    if claim is Claim.IN_PROGRESS:
        raise ClaimInProgressError(f"event {key} is being handled by another invocation: retry shortly")
    try:
        result, guards = _handle(received, key, decided, deps, policy, now)
    except Exception:
        deps.idempotency.release(key, owner=key)
        raise
    # the guards are held until they expire, or until the workflow's failure path releases them; one write with the
    # event's own claim (a failure here leaves both in progress: the retry takes them over once their window passed)
    deps.idempotency.complete_all([*guards, key])
    return result


def _handle(
    received: ReceivedNotice, key: str, decided: Classification, deps: IngestDeps, policy: IngestPolicy, now: int
) -> tuple[IngestResult, list[str]]:
    """The notice's outcome, and the guards it took (to complete with the event's claim)."""
    notice = received.notice
    node = deps.registry.node_for_instance(notice.instance_id)
    adopted: tuple[str, ...] = ()
    if node is None:
        unknown = _unknown(received, key, decided, deps, policy, now)
        if isinstance(unknown, IngestResult):
            return unknown, []
        node, adopted = unknown[0], (unknown[1],)
    tenant = deps.registry.tenant(node.tenant_id)
    # another of the tenant's accounts: its own ACCOUNT# item must name this tenant (one keyed read)
    other = received.account and received.account != tenant.account_id
    if other and deps.registry.tenant_for_account(received.account or "") == node.tenant_id:
        tenant = tenant.for_account(received.account or "", (node.region,))
    why = origin_refusal(received, tenant, node.region)
    if why is not None:  # the claim is completed: a redelivery of the same forgery is a duplicate
        return IngestResult("rejected", key, notice.instance_id, decided.kind, reasons=(why,)), []
    pool = HivePool(node.region, node.az_id, node.instance_type) if node.az_id else None
    level = _flag(pool, node.tenant_id, received, decided, deps, policy, now) if pool else None
    guard, claims = _guard(decided, node.instance_id, key, deps, policy, now)
    if guard is None:
        why = f"a workflow for {node.instance_id} already replaces it: nothing more to start"
        return IngestResult("duplicate", key, notice.instance_id, decided.kind, None, pool.key if pool else None, level,
                            (*decided.reasons, why)), []  # fmt: skip
    name = execution_name(key)
    payload = _execution_input(received, decided, node, policy).model_copy(
        update={"replacement_under_way": guard, "claims": tuple(claims), "claim_owner": key,
                "dry_run": policy.dry_run or tenant.safe_mode}
    )  # fmt: skip
    try:
        started = deps.executions.start(name, payload.wire())
    except Exception:
        for claim in claims:  # the redelivery must find the instance free again
            deps.idempotency.release(claim, owner=key)
        raise
    reasons = decided.reasons + adopted + (() if pool else ("registry item has no az_id: pool not flagged",))
    if guard:
        reasons += ("an earlier workflow launches the replacement: this one cordons and drains now",)
    if tenant.safe_mode:
        reasons += ("the tenant's safe mode is on: the workflow decides and records, and changes nothing",)
    status: Status = "started" if started == "started" else "duplicate"
    return IngestResult(status, key, notice.instance_id, decided.kind, name, pool.key if pool else None, level,
                        reasons), claims  # fmt: skip


def _unknown(
    received: ReceivedNotice, key: str, decided: Classification, deps: IngestDeps, policy: IngestPolicy, now: int
) -> IngestResult | tuple[NodeRecord, str]:
    """An instance the registry does not know. When the sending account is a registered tenant's (a keyed read,
    never a scan), its account describes it: a node of one of the tenant's clusters not yet discovered is registered
    and handled as any (returned with why); otherwise no workflow, and an interruption still flags its pool."""
    instance = received.notice.instance_id
    tenant_id = deps.registry.tenant_for_account(received.account) if received.account else None
    if tenant_id is None:
        why = f"account {received.account or '(none)'} is not a registered tenant's: nothing flagged, no workflow"
        return IngestResult("unknown-instance", key, instance, decided.kind, reasons=(why,))
    tenant = deps.registry.tenant(tenant_id)
    refused = origin_refusal(received, tenant, received.region)
    if refused is not None:
        return IngestResult("rejected", key, instance, decided.kind, reasons=(refused,))
    found, where = _locate(tenant, received, deps)
    node, why = adopt(found, instance, tenant_id, received.region, deps.registry, now) if found else (None, "")
    if node is not None:
        return node, why
    pool = found.pool if found and decided.flag_pool else None
    if not decided.flag_pool:
        where = "this kind of notice flags no pool"
    level = _flag(pool, tenant_id, received, decided, deps, policy, now) if pool else None
    why = f"instance is not a registered node{f' ({why})' if why else ''}: no workflow"
    return IngestResult("unknown-instance", key, instance, decided.kind, None, pool.key if pool else None, level,
                        (why, where))  # fmt: skip


def _guard(
    decided: Classification, instance_id: str, owner: str, deps: IngestDeps, policy: IngestPolicy, now: int
) -> tuple[bool | None, list[str]]:
    """One replacement and one immediate drain per instance, whatever the event ids (a rebalance recommendation
    and then the interruption warning are two events for one machine). Returns None (start nothing) or whether the
    replacement is already under way, and the claims taken. A guard another invocation is still taking is a retry;
    claims expire, so a workflow that never released them cannot block the instance for ever."""
    if decided.kind == "state-change":
        return False, []
    replace_key, ttl = f"INSTANCE#{instance_id}#replace", policy.guard_ttl_seconds
    if decided.kind != "interruption":
        claimed = _take(deps, replace_key, now, ttl, owner, [])
        return (False, [replace_key]) if claimed else (None, [])
    drain_key = f"INSTANCE#{instance_id}#drain-now"
    if deps.idempotency.claim_all([drain_key, replace_key], now, ttl, owner):  # the common case: one write
        return False, [drain_key, replace_key]
    # one of them is held (an earlier notice for this instance): one by one, to learn which
    if not _take(deps, drain_key, now, ttl, owner, []):
        return None, []
    if _take(deps, replace_key, now, ttl, owner, [drain_key]):
        return False, [drain_key, replace_key]
    return True, [drain_key]


def _take(deps: IngestDeps, key: str, now: int, ttl: int, owner: str, held: list[str]) -> bool:
    """Claim a guard: True taken, False done by another workflow; in progress elsewhere raises (after giving back
    the guards already `held`, so the retry starts from scratch)."""
    claim = deps.idempotency.claim(key, now, ttl, owner=owner)
    if claim is Claim.IN_PROGRESS:
        for taken in held:
            deps.idempotency.release(taken, owner=owner)
        raise ClaimInProgressError(f"{key} is being claimed by another invocation: retry shortly")
    return claim is Claim.TAKEN


def _locate(tenant: TenantRecord, received: ReceivedNotice, deps: IngestDeps) -> tuple[FoundInstance | None, str]:
    """Best effort: a transient failure is retried (SQS redelivers), a permanent one only loses the flag."""
    try:
        found = deps.locator.locate(tenant, received.region, received.notice.instance_id)
    except TransientAwsError:
        raise
    except CloudOptimError as exc:
        return None, f"its pool could not be located ({exc}), nothing flagged"
    pool = found.pool if found else None
    return found, (f"pool {pool.key} flagged" if pool else "its pool could not be located, nothing flagged")


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
    event_time = received.notice.event_time
    # two writes, not a transaction: a transaction costs twice the write units, on the pool's one partition (the hot
    # key of a mass interruption, docs/capacity.md)
    deps.hive.flag(new_flag(pool, tenant_id, event_time, policy.hive_mind_ttl_seconds), received.event_id,
                   decided.kind or "")  # fmt: skip
    deps.hive.record(new_record(pool, tenant_id, event_time), received.event_id)
    level = escalation(deps.hive.customers_for_pool(pool, now), pool, now)  # one item per customer
    if level.level == "CONFIRMED_RISKY" and deps.escalations is not None:
        # handed over, not done here: ingest claims, resolves, flags and starts, and nothing more
        deps.escalations.confirmed(level)
    return level


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
