"""Karpenter's consolidation (policy WhenEmptyOrUnderutilized) re-implemented on our ClusterState, as a baseline.

It produces our Plan, so validate_plan and the same cost accounting apply to it and to our planner alike. Source:
/work/shared/docs/research/spot_anchors.md section 1 (kubernetes-sigs/karpenter@2266468).

The same as Karpenter:
- the loop: Emptiness, then MultiNodeConsolidation, then SingleNodeConsolidation; only one command per loop, the
  cluster is re-evaluated after each command, and it stops when no method acts (Drift/StaticDrift do not apply);
- candidates sorted by SavingsRatio = price / (1 + sum of max(0, EvictionCost) over reschedulable pods), descending,
  EvictionCost = 1 + pod-deletion-cost/2^27 + priority/2^25 clamped to [-10, 10] (1.0 for OpenB's app pods);
  "empty" = that cost is at most 1; nodes created by earlier commands and nodes that received pods are candidates
  again (consolidateAfter 0s), so a pod may move more than once, as in Karpenter;
- the default disruption budget (nodes: 10% per NodePool, rounded up) caps each command (instant commands: nothing
  is in flight when the next loop starts);
- multi-node: the budget-filtered prefix of at most 100 candidates, binary search on its length (min 1,
  max min(100, n-1), probe = prefix[0:mid+1]); a probe is valid if it is a Delete (no new node) or a Replace with
  exactly one new NodeClaim whose cheapest type is strictly cheaper than the candidates' summed price after
  filterOutSameInstanceType; the last valid probe wins;
- single-node: candidates interleaved round-robin across NodePools; the first valid Delete/Replace wins;
- the scheduling simulation (karpenter_simulation.py): pods CPU then memory descending; existing nodes first fit
  in name order, then the in-flight NodeClaim (least loaded first), then a new NodeClaim; a pod that fits nowhere
  makes the probe "no action"; DaemonSet overhead per template; no minimum saving (any positive saving acts);
- spot-to-spot replacement is off (feature gate SpotToSpotConsolidation=false by default): spot candidates may
  be deleted, not replaced; with `spot_to_spot=True` single-node replacement needs 15 cheaper types.

- candidates by Karpenter's own rules (KARPENTER_RULES): a node or pod annotated karpenter.sh/do-not-disrupt, a
  pod whose PDB allows 0 disruptions now, a pod under two PDBs, or no price blocks a node; kube-system pods, bare
  pods and emptyDir/hostPath pods do not (ours keep those, by default). A PDB allowing 1 does not block a node
  holding three of its pods: the drain waits on the Eviction API's 429s, so the action takes three rounds;

Simplified, and why:
- the NodePools are our planner's replacement groups: a NodeClaim template per candidate's (zone, capacity type,
  taints, pool, arch, GPU family), tried in candidate order, launching only what our planner may launch there
  (groups.policy_allows / may_replace: current generation, same arch, a GPU node only within its family); a
  pod joins a NodeClaim only if its node has the claim's zone, capacity type, arch and GPU family, as a
  replacement of ours keeps them. Karpenter would launch in any zone the pods allow (priced at the worst one)
  and pin on-demand candidates' replacement to spot when the NodePool allows spot: not modelled;
- no 15 s re-validation, timeouts, nomination windows or consolidateAfter delay: the cluster does not change
  between decision and execution here; preferences (soft affinity, ScheduleAnyway) are ignored, as by our planner.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from benchmarks.karpenter_simulation import (
    Catalogue,
    Outcome,
    ensure_room,
    eviction_cost,
    kind,
    launch_node,
    name_order,
    room_for_any,
    same_type_limit,
    schedule,
)
from engines.cluster.capacity import PriceBook
from engines.cluster.model import SPOT, ClusterState, Node, Pod
from engines.consolidation.bound import lower_bound
from engines.consolidation.daemons import DaemonSets
from engines.consolidation.eligibility import assess
from engines.consolidation.groups import pool_of
from engines.consolidation.placement import Placement
from engines.consolidation.plan import Action, BlockCode, Blocked, BlockReason, Move, Plan, Replacement
from engines.consolidation.policy import ConsolidationPolicy

MAX_CANDIDATES = 100  # multi-node consolidation's maxParallel
# Karpenter's candidate rules (ValidateNodeDisruptable / ValidatePodsDisruptable / pdb.Limits.CanEvictPods):
# its own do-not-disrupt annotation only, no namespace exclusions, bare and local-storage pods evicted.
KARPENTER_RULES = ConsolidationPolicy(
    excluded_namespaces=(),
    do_not_disrupt_annotations=("karpenter.sh/do-not-disrupt",),
    evict_local_storage=True,
    evict_bare_pods=True,
)
SPOT_TO_SPOT_MIN_TYPES = 15
_NO_COMMAND = BlockReason(BlockCode.NO_CHEAPER_ARRANGEMENT, "no Karpenter command found for it")


@dataclass(frozen=True)
class KarpenterSettings:
    budget_share: float | None = 0.10  # the default NodePool budget; None = unlimited
    spot_to_spot: bool = False  # the SpotToSpotConsolidation feature gate
    # Re-run a failed single-node probe only once something could make it succeed (see _single); False re-runs
    # every probe every loop, as Karpenter does (same results on the 100- and 1,000-node clusters, much slower).
    memo: bool = True


@dataclass
class KarpenterStats:
    commands: Counter[str] = field(default_factory=Counter)  # method -> commands
    simulations: int = 0
    loops: int = 0


@dataclass(frozen=True)
class _Candidate:
    index: int
    node: Node
    price: float
    disruption: float
    pool: str

    @property
    def ratio(self) -> float:
        return self.price / self.disruption


@dataclass(frozen=True)
class _Command:
    method: str
    candidates: tuple[_Candidate, ...]  # the template's seed first for a replace
    outcome: Outcome
    replacement: int | None  # offer index in the claim's template
    savings: float


def karpenter_consolidation(
    state: ClusterState,
    prices: PriceBook,
    policy: ConsolidationPolicy | None = None,
    settings: KarpenterSettings | None = None,
) -> tuple[Plan, KarpenterStats]:
    """Karpenter's consolidation of `state`; `policy` defaults to KARPENTER_RULES (its candidate rules and launchable
    types: validate the plan with the same policy)."""
    return _Run(state, prices, policy or KARPENTER_RULES, settings or KarpenterSettings()).run()


class _Run:
    def __init__(
        self, state: ClusterState, prices: PriceBook, policy: ConsolidationPolicy, settings: KarpenterSettings
    ):
        self.state, self.prices, self.policy, self.settings = state, prices, policy, settings
        self.eligibility = assess(state, policy)
        self.daemons = DaemonSets.of(state)
        self.placement = Placement(state, preferred_targets=set())
        zones = tuple(sorted({n.zone for n in state.nodes if n.zone}))
        self.catalogue = Catalogue(prices, policy, self.daemons, zones, self.placement.extras)
        self.pods_on: dict[int, list[Pod]] = {
            self.placement.index[name]: list(pods) for name, pods in self.eligibility.movable.items()
        }
        self.blocked = {self.placement.index[name] for name in self.eligibility.blocked}
        self.actions: list[Action] = []
        self.stats = KarpenterStats()
        self.order = np.zeros(0, dtype=np.int64)
        self._costs: dict[str, float] = {}
        self.failed: dict[int, tuple[int, int]] = {}  # node -> (nodes launched, pods received) when it failed
        self.launched_slots: list[int] = []
        self.received: Counter[int] = Counter()  # node -> commands that moved pods onto it

    def run(self) -> tuple[Plan, KarpenterStats]:
        while True:
            self.stats.loops += 1
            candidates = self._candidates()
            self.order = name_order(self.placement)  # for first fit; fixed within a loop
            budget = self._budgets()
            command = self._emptiness(candidates, budget) or self._multi(candidates, budget)
            command = command or self._single(candidates, budget)
            if command is None:
                break
            self._commit(command)
        before = self.state.cost_per_hour()
        savings = sum(a.savings_per_hour for a in self.actions)
        bound = lower_bound(self.state, self.eligibility, self.prices, self.daemons, self.policy)
        methods = ", ".join(f"{n} {m}" for m, n in sorted(self.stats.commands.items()))
        plan = Plan(
            before, before - savings, tuple(self.actions), self._left(), bound, f"karpenter: {methods or 'none'}"
        )
        return plan, self.stats

    # -- candidates and budgets ------------------------------------------------------------------------------
    def _cost(self, pod: Pod) -> float:
        if pod.key not in self._costs:
            self._costs[pod.key] = max(0.0, eviction_cost(pod))
        return self._costs[pod.key]

    def _candidates(self) -> list[_Candidate]:
        found = []
        for index in np.flatnonzero(self.placement.alive[: self.placement.count]):
            i = int(index)
            node = self.placement.nodes[i]
            if i in self.blocked or not node.price_per_hour:
                continue
            disruption = 1.0 + sum(self._cost(p) for p in self.pods_on.get(i, ()))
            found.append(_Candidate(i, node, node.price_per_hour, disruption, pool_of(node)))
        found.sort(key=lambda c: (-c.ratio, c.node.name))
        return found

    def _budgets(self) -> Counter[str]:
        alive = self.placement.alive[: self.placement.count]
        sizes = Counter(pool_of(self.placement.nodes[int(i)]) for i in np.flatnonzero(alive))
        share = self.settings.budget_share
        return Counter({p: n if share is None else math.ceil(share * n) for p, n in sizes.items()})

    # -- the three methods -----------------------------------------------------------------------------------
    def _emptiness(self, candidates: list[_Candidate], budget: Counter[str]) -> _Command | None:
        left, chosen = budget.copy(), []
        for c in candidates:
            # Karpenter's IsEmpty is "disruption cost <= 1"; we also need no pod at all, since a plan must move
            # every pod (pods with a negative eviction cost would otherwise be dropped)
            if c.disruption <= 1.0 and not self.pods_on.get(c.index) and left[c.pool] > 0:
                left[c.pool] -= 1
                chosen.append(c)
        if not chosen:
            return None
        outcome = Outcome({}, None)
        return _Command("emptiness", tuple(chosen), outcome, None, sum(c.price for c in chosen))

    def _multi(self, candidates: list[_Candidate], budget: Counter[str]) -> _Command | None:
        left, batch = budget.copy(), list[_Candidate]()
        for c in candidates:
            if left[c.pool] > 0 and len(batch) < MAX_CANDIDATES:
                left[c.pool] -= 1
                batch.append(c)
        low, high, best = 1, min(MAX_CANDIDATES, len(batch) - 1), None
        while low <= high:
            mid = (low + high) // 2
            command = self._compute(batch[: mid + 1], "multi-node")
            if command is not None:
                best, low = command, mid + 1
            else:
                high = mid - 1
        return best

    def _single(self, candidates: list[_Candidate], budget: Counter[str]) -> _Command | None:
        by_pool: dict[str, list[_Candidate]] = {}
        for c in candidates:
            by_pool.setdefault(c.pool, []).append(c)
        interleaved = [q[rank] for rank in range(len(candidates)) for q in by_pool.values() if rank < len(q)]
        for c in interleaved:
            if budget[c.pool] <= 0 or (self.settings.memo and self._still_fails(c.index)):
                continue
            if (command := self._compute([c], "single-node")) is not None:
                return command
            self.failed[c.index] = (len(self.launched_slots), self.received[c.index])
        return None

    def _still_fails(self, index: int) -> bool:
        """A failed probe fails again unless the candidate's pods changed or a node launched since has room for
        one of them: other commands only remove nodes and fill the rest. (First-fit anomalies and spread
        domains aside; a memo=False run gives the same plans on the benchmark clusters.)"""
        if index not in self.failed or self.failed[index][1] != self.received[index]:
            return False
        slots = self.launched_slots[self.failed[index][0] :]
        return not slots or not room_for_any(self.placement, slots, self.pods_on.get(index, []))

    # -- one probe: simulate, then Karpenter's rules for a valid command ---------------------------------------
    def _compute(self, batch: list[_Candidate], method: str) -> _Command | None:
        pods = [p for c in batch for p in self.pods_on.get(c.index, ())]
        self.stats.simulations += 1
        placement = self.placement
        mark = placement.checkpoint()
        for c in batch:
            placement.close(c.index)
        for pod in pods:
            placement.unplace(pod)
        templates = self.catalogue.templates([c.node for c in batch])
        origin = {p.key: kind(c.node) for c in batch for p in self.pods_on.get(c.index, ())}
        outcome = schedule(placement, templates, pods, self.order, origin)
        placement.rollback(mark)
        if outcome is None:
            return None
        total = sum(c.price for c in batch)
        if outcome.claim is None:
            return _Command(method, tuple(batch), outcome, None, total)
        template = outcome.claim.template
        options = outcome.claim.options & (template.prices < total)
        if method == "multi-node":
            options &= template.prices < same_type_limit(
                [(c.node.instance_type, c.price) for c in batch], template, options
            )
        spot_to_spot = all(c.node.capacity_type == SPOT for c in batch) and template.seed.capacity_type == SPOT
        too_few = method == "single-node" and options.sum() < SPOT_TO_SPOT_MIN_TYPES
        if spot_to_spot and (not self.settings.spot_to_spot or too_few):
            return None
        if not options.any():
            return None
        choice = int(np.flatnonzero(options)[0])  # offers are cheapest first
        seed = next(c for c in batch if self.catalogue.template(c.node) is template)  # its labels template it
        ordered = (seed, *(c for c in batch if c is not seed))
        return _Command(method, ordered, outcome, choice, total - float(template.prices[choice]))

    # -- applying a command ---------------------------------------------------------------------------------
    def _commit(self, command: _Command) -> None:
        placement = self.placement
        ensure_room(placement)
        pods = [p for c in command.candidates for p in self.pods_on.pop(c.index, [])]
        for c in command.candidates:
            placement.close(c.index)
        for pod in pods:
            placement.unplace(pod)
        replacement, new_slot = None, -1
        claim = command.outcome.claim
        if claim is not None and command.replacement is not None:
            offer = claim.template.offers[command.replacement]
            # "new:<k>": the k-th node this plan launches (plan.py's convention)
            node = launch_node(command.candidates[0].node, offer, f"new:{len(self.launched_slots)}")
            new_slot = placement.open(node, placement.vector(self.catalogue.daemons.overhead(node)))
            self.launched_slots.append(new_slot)
            replacement = Replacement(offer.instance_type, offer.capacity_type, offer.zone, offer.price_per_hour)
        moves = []
        order = {key: rank for rank, key in enumerate(command.outcome.targets)}
        for pod in sorted(pods, key=lambda p: order[p.key]):  # as the simulation scheduled them: spread depends on it
            target = command.outcome.targets[pod.key]
            target = new_slot if claim is not None and target == claim.slot else target
            placement.place(pod, target)
            self.pods_on.setdefault(target, []).append(pod)
            self.received[target] += 1
            moves.append(Move(pod.key, placement.nodes[target].name))
        self.stats.commands[command.method] += 1
        verb = "replace" if replacement else "delete"
        names = tuple(c.node.name for c in command.candidates)
        why = f"karpenter {command.method}: {verb} {len(names)} node(s), saves ${command.savings:.4f}/h"
        rounds = self.eligibility.rounds(pods)
        self.actions.append(Action(verb, names, replacement, tuple(moves), command.savings, (why,), (), rounds))

    def _left(self) -> tuple[Blocked, ...]:
        gone = {n for a in self.actions for n in a.nodes}
        return tuple(
            Blocked(n.name, self.eligibility.blocked.get(n.name) or _NO_COMMAND)
            for n in self.state.nodes
            if n.name not in gone
        )
