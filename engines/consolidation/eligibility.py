"""Which nodes may be disrupted at all, and why not: the rules a plan may never break.

A node is a candidate only if every pod on it can be evicted safely now. The reason for the first rule that
fails is kept, so every node left alone says why in the plan.

PodDisruptionBudgets as Kubernetes applies them: the Eviction API takes one pod while the budget allows a
disruption and answers 429 until the evicted pod's replacement is Ready, so `kubectl drain` and Karpenter drain a
node holding three replicas under maxUnavailable 1 in three rounds. A budget blocks a node only when it allows no
disruption at all now (or a pod is under two budgets, which the API refuses); otherwise the drain takes
`rounds` rounds, and the plan says so.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from engines.cluster.model import ClusterState, Node, Pdb, Pod
from engines.cluster.selectors import LabelIndex
from engines.consolidation.plan import BlockCode, BlockReason
from engines.consolidation.policy import SAFE_TO_EVICT, ConsolidationPolicy


@dataclass(frozen=True)
class Eligibility:
    """Per node: the pods that must move if it goes, or the reason it may not go."""

    movable: dict[str, tuple[Pod, ...]]  # node -> non-daemon active pods (the ones a drain evicts)
    blocked: dict[str, BlockReason]  # node -> reason
    pdb_of: dict[str, int]  # pod key -> index into pdbs (pods covered by exactly one PDB)
    pdbs: tuple[Pdb, ...]

    def rounds(self, pods: Iterable[Pod]) -> int:
        """Eviction rounds to drain `pods`: per budget ceil(its pods / its allowance), at least 1 if any pod."""
        per_pdb: Counter[int] = Counter()
        found = False
        for pod in pods:
            found = True
            if pod.key in self.pdb_of:
                per_pdb[self.pdb_of[pod.key]] += 1
        need = [math.ceil(n / max(self.pdbs[i].disruptions_allowed, 1)) for i, n in per_pdb.items()]
        return max(need, default=1) if found else 0

    def rounds_reason(self, pods: Iterable[Pod]) -> str | None:
        """Why a drain takes more than one round, naming the budget that sets the pace; None for one round."""
        per_pdb = Counter(self.pdb_of[p.key] for p in pods if p.key in self.pdb_of)
        slowest = max(per_pdb, key=lambda i: (math.ceil(per_pdb[i] / max(self.pdbs[i].disruptions_allowed, 1)), -i),
                      default=None)  # fmt: skip
        if slowest is None:
            return None
        pdb, evicted = self.pdbs[slowest], per_pdb[slowest]
        rounds = math.ceil(evicted / max(pdb.disruptions_allowed, 1))
        if rounds <= 1:
            return None
        return (
            f"drains in {rounds} eviction rounds: PodDisruptionBudget {pdb.namespace}/{pdb.name} allows "
            f"{pdb.disruptions_allowed} disruption(s) at a time for its {evicted} pod(s) here, and each round waits "
            "for the evicted pods to be Ready elsewhere"
        )


def assess(state: ClusterState, policy: ConsolidationPolicy) -> Eligibility:
    pdb_of, multi_pdb = _pdb_index(state)
    movable: dict[str, tuple[Pod, ...]] = {}
    blocked: dict[str, BlockReason] = {}
    on_node = state.pods_on()
    for node in state.nodes:
        pods = tuple(p for p in on_node[node.name] if not p.is_daemon)
        movable[node.name] = pods
        reason = _node_reason(node, policy) or _pods_reason(pods, policy, state.pdbs, pdb_of, multi_pdb)
        if reason:
            blocked[node.name] = reason
    return Eligibility(movable, blocked, pdb_of, state.pdbs)


def _node_reason(node: Node, policy: ConsolidationPolicy) -> BlockReason | None:
    for annotation in policy.do_not_disrupt_annotations:
        if node.annotations.get(annotation, "").lower() == "true":
            return BlockReason(BlockCode.NODE_DO_NOT_DISRUPT, f"node annotated {annotation}")
    if node.price_per_hour is None:
        if not node.instance_type:
            return BlockReason(
                BlockCode.NO_PRICE, "no instance-type label, so no price: cannot tell whether a change saves money"
            )
        where = node.zone or "an unknown zone"
        return BlockReason(BlockCode.NO_PRICE, f"no {node.capacity_type} price for {node.instance_type} in {where}")
    return None


def _pods_reason(
    pods: tuple[Pod, ...],
    policy: ConsolidationPolicy,
    pdbs: tuple[Pdb, ...],
    pdb_of: dict[str, int],
    multi_pdb: set[str],
) -> BlockReason | None:
    per_pdb: Counter[int] = Counter()
    for pod in pods:
        reason = _pod_reason(pod, policy, multi_pdb)
        if reason:
            return BlockReason(reason.code, f"pod {pod.key}: {reason.text}", f"a pod {reason.text}")
        if pod.key in pdb_of:
            per_pdb[pdb_of[pod.key]] += 1
    for index, evictions in per_pdb.items():
        pdb = pdbs[index]
        if pdb.disruptions_allowed <= 0:
            # No eviction of its pods succeeds now: a drain would wait for ever (the budget is at its floor).
            budget = f"PodDisruptionBudget {pdb.namespace}/{pdb.name}"
            return BlockReason(
                BlockCode.PDB_TOO_TIGHT,
                f"{budget} allows 0 disruptions now, and draining this node evicts {evictions} of its pods",
                budget,  # alike reasons count per budget
            )
    return None


def _pod_reason(pod: Pod, policy: ConsolidationPolicy, multi_pdb: set[str]) -> BlockReason | None:
    for annotation in policy.do_not_disrupt_annotations:
        if annotation in pod.annotations and pod.annotations[annotation].lower() != "false":
            return BlockReason(BlockCode.POD_DO_NOT_DISRUPT, f"annotated {annotation}")
    if pod.namespace in policy.excluded_namespaces:
        return BlockReason(BlockCode.NAMESPACE_EXCLUDED, f"namespace {pod.namespace} is excluded by policy")
    safe = pod.annotations.get(SAFE_TO_EVICT, "").lower() == "true"
    if pod.owner_kind is None and not policy.evict_bare_pods and not safe:
        return BlockReason(BlockCode.BARE_POD, "no controller: an evicted bare pod is never recreated")
    if pod.local_storage and not policy.evict_local_storage and not safe:
        return BlockReason(BlockCode.LOCAL_STORAGE, "uses local storage (emptyDir/hostPath) that eviction would lose")
    if pod.key in multi_pdb:
        return BlockReason(
            BlockCode.SEVERAL_PDBS, "covered by more than one PodDisruptionBudget (the Eviction API refuses such pods)"
        )
    if pod.phase == "Pending":
        return BlockReason(BlockCode.POD_PENDING, "pending")
    return None


def _pdb_index(state: ClusterState) -> tuple[dict[str, int], set[str]]:
    pdb_of: dict[str, int] = {}
    multi: set[str] = set()
    index = LabelIndex([(p.namespace, p.labels) for p in state.pods])
    for number, pdb in enumerate(state.pdbs):
        for found in index.select({pdb.namespace}, pdb.selector):
            key = state.pods[found].key
            if key in pdb_of:
                multi.add(key)
            pdb_of[key] = number
    for key in multi:
        pdb_of.pop(key, None)
    return pdb_of, multi
