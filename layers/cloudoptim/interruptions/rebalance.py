"""RebalancePool: when a pool is CONFIRMED_RISKY, every other customer running there moves out first, as its
cluster's policy allows (engines.interruption.proactive decides; this module reads, claims and acts).

A node is "already being drained" when its replace guard (`INSTANCE#<id>#replace`, the one ingest takes) is held:
the guard is claimed for each candidate, so a notice arriving at the same moment and this rebalance never both act;
guards of nodes that end up not started are given back at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from cloudoptim.errors import InvalidArgumentError
from cloudoptim.interruptions.execution import ExecutionInput, iso
from cloudoptim.interruptions.ingest import execution_name
from cloudoptim.interruptions.ports import Claim, Executions, HiveMind, Idempotency, NodeRecord
from cloudoptim.tenancy.policy import ClusterPolicy
from engines.interruption.hive import ESCALATION_WINDOW_SECONDS, Escalation, HivePool, escalation
from engines.interruption.proactive import ClusterStance, PoolNode, ProactiveDecision, plan_proactive

ESCALATED = "CloudOptim Pool Escalated"  # the hand-over's detail-type (docs/events.md)
# Discovery re-registers every node hourly: a node no discovery saw for three runs is gone (or its cluster is no
# longer readable), and a proactive replacement for it would launch a node nobody drains.
NODE_FRESH_SECONDS = 3 * 3600
_POOL = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d#[a-z0-9-]+-az\d+#[a-z0-9-]+\.[a-z0-9]+$")


def escalated_pool(body: str) -> HivePool:
    """The pool of one "CloudOptim Pool Escalated" event (an SQS body holding the EventBridge event).

    >>> body = '{"detail-type": "CloudOptim Pool Escalated", "detail": {"pool": "eu-west-1#euw1-az1#m5.large"}}'
    >>> escalated_pool(body)
    HivePool(region='eu-west-1', az_id='euw1-az1', instance_type='m5.large')
    """
    try:
        event = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidArgumentError(f"escalation message is not JSON: {exc}") from None
    if not isinstance(event, dict) or event.get("detail-type") != ESCALATED:
        raise InvalidArgumentError(f"not a {ESCALATED!r} event")
    pool = (event.get("detail") or {}).get("pool") if isinstance(event.get("detail"), dict) else None
    if not isinstance(pool, str) or not _POOL.match(pool):
        raise InvalidArgumentError(f"detail.pool {pool!r} is not <region>#<az id>#<instance type>")
    return HivePool.parse(pool)


class PoolNodes(Protocol):
    """Every registered node running in a pool, whichever tenant owns it (the registry's pool index)."""

    def nodes_in_pool(self, pool: HivePool) -> Sequence[NodeRecord]: ...


class ClusterPolicies(Protocol):
    def policy(self, tenant_id: str, cluster: str) -> ClusterPolicy: ...

    def safe_mode(self, tenant_id: str) -> bool:
        """The tenant's safe mode: its proactive workflows run dry (decide, record, change nothing)."""
        ...


class Recommendations(Protocol):
    def recommend(self, tenant_id: str, key: str, body: Mapping[str, object], now: int) -> bool:
        """Store a recommendation once per key; False when it was already there."""
        ...


class PoolAlerts(Protocol):
    """Tells one tenant its nodes run in a pool the hive mind confirmed risky (notifications' webhook alert)."""

    def escalated(self, tenant_id: str, level: Escalation, nodes: Sequence[NodeRecord]) -> None: ...


@dataclass(frozen=True)
class RebalanceDeps:
    hive: HiveMind
    nodes: PoolNodes
    policies: ClusterPolicies
    idempotency: Idempotency
    executions: Executions
    recommendations: Recommendations
    alerts: PoolAlerts | None = None  # None: no tenant is told (the notifications stack is not deployed)


@dataclass(frozen=True)
class RebalanceResult:
    escalation: Escalation
    decisions: tuple[ProactiveDecision, ...]
    started: tuple[str, ...]  # execution names
    recommended: tuple[str, ...]  # recommendation keys written
    stale: tuple[str, ...] = ()  # instances in the pool index no discovery saw within NODE_FRESH_SECONDS: left out


def rebalance_pool(
    pool: HivePool, deps: RebalanceDeps, now: int, wait_seconds: int = 5, guard_ttl_seconds: int = 3600
) -> RebalanceResult:
    records = deps.hive.records_for_pool(pool, now)
    level = escalation(records, pool, now)
    interrupted = frozenset(r.tenant_id for r in records if now - r.flagged_at < ESCALATION_WINDOW_SECONDS)
    listed = deps.nodes.nodes_in_pool(pool)
    found = {n.instance_id: n for n in listed if n.seen_at is not None and now - n.seen_at <= NODE_FRESH_SECONDS}
    candidates = [n for n in found.values() if n.tenant_id not in interrupted]
    guards = {i: f"INSTANCE#{i}#replace" for i in sorted(n.instance_id for n in candidates)}
    owner = execution_name(f"hive-{pool.key}-{now}")
    confirmed = level.level == "CONFIRMED_RISKY"
    # a guard held by someone else: the node is already being replaced or drained
    taken = {i for i, key in guards.items() if _take(deps, key, now, guard_ttl_seconds, owner)} if confirmed else set()
    draining = frozenset(guards) - taken if confirmed else frozenset()
    stances = _stances(list(found.values()), deps, now)
    nodes = [PoolNode(n.tenant_id, n.cluster, n.instance_id, n.node_name) for n in found.values()]
    decisions = plan_proactive(level, nodes, stances, interrupted, draining)
    started = []
    for decision in decisions:
        instance = decision.node.instance_id
        if decision.action == "start":
            name = _start(found[instance], decision, guards[instance], owner, deps, now, wait_seconds)
            started.append(name)
        elif instance in taken:  # not ours to act on after all: the guard goes back at once
            deps.idempotency.release(guards[instance], owner=owner)
    recommended = _recommend(level, decisions, deps, now)
    if confirmed and deps.alerts is not None:  # every tenant with nodes there, the interrupted ones too
        for tenant in sorted({n.tenant_id for n in found.values()}):
            deps.alerts.escalated(tenant, level, [n for n in found.values() if n.tenant_id == tenant])
    stale = tuple(sorted(n.instance_id for n in listed if n.instance_id not in found))
    return RebalanceResult(level, decisions, tuple(started), recommended, stale)


def _take(deps: RebalanceDeps, key: str, now: int, ttl: int, owner: str) -> bool:
    return deps.idempotency.claim(key, now, ttl, owner=owner) is Claim.TAKEN


def _stances(nodes: Sequence[NodeRecord], deps: RebalanceDeps, now: int) -> dict[tuple[str, str], ClusterStance]:
    counts: dict[tuple[str, str], int] = {}
    for node in nodes:
        counts[(node.tenant_id, node.cluster)] = counts.get((node.tenant_id, node.cluster), 0) + 1
    stances = {}
    for (tenant, cluster), count in counts.items():
        policy = deps.policies.policy(tenant, cluster)
        # a percentage budget applies to the cluster's nodes in this pool: never more than it allows cluster-wide
        stances[(tenant, cluster)] = ClusterStance(
            policy.automation.spot, policy.windows_open_at(now), policy.disruption_budget.max_nodes, count
        )
    return stances


def _start(
    node: NodeRecord, decision: ProactiveDecision, guard: str, owner: str, deps: RebalanceDeps, now: int, wait: int
) -> str:
    name = execution_name(f"hive-{node.instance_id}-{now}")
    payload = ExecutionInput.model_validate(
        {
            "event_id": name, "kind": "rebalance", "event_time": iso(now), "tenant_id": node.tenant_id,
            "cluster": node.cluster, "node_name": node.node_name, "instance_id": node.instance_id,
            "region": node.region, "availability_zone": node.availability_zone, "az_id": node.az_id,
            "instance_type": node.instance_type, "capacity_type": node.capacity_type, "node_group": node.node_group,
            "wait_seconds": wait, "claims": (guard,), "claim_owner": owner,
            "dry_run": deps.policies.safe_mode(node.tenant_id),
        }
    )  # fmt: skip
    try:
        deps.executions.start(name, payload.wire())
    except Exception:
        deps.idempotency.release(guard, owner=owner)
        raise
    deps.idempotency.complete(guard)
    return name


def _recommend(
    level: Escalation, decisions: Sequence[ProactiveDecision], deps: RebalanceDeps, now: int
) -> tuple[str, ...]:
    """One recommendation per cluster, with the evidence (counts and window; no other customer's identity)."""
    by_cluster: dict[tuple[str, str], list[ProactiveDecision]] = {}
    for d in decisions:
        if d.action == "recommend":
            by_cluster.setdefault((d.node.tenant_id, d.node.cluster), []).append(d)
    written = []
    for (tenant, cluster), items in sorted(by_cluster.items()):
        key = execution_name(f"hive-{level.pool.key}-{cluster}-{level.expires_at or now}")
        body = {
            "kind": "proactive-rebalance", "cluster": cluster, "pool": level.pool.key, "level": level.level,
            "evidence": {"customers": level.customers, "interruptions": level.interruptions, "window_minutes": 60,
                         "level_expires_at": level.expires_at},
            "nodes": [{"instance_id": d.node.instance_id, "node_name": d.node.node_name, "code": d.code.value,
                       "reason": d.reason} for d in items],
        }  # fmt: skip
        if deps.recommendations.recommend(tenant, key, body, now):
            written.append(key)
    return tuple(written)
