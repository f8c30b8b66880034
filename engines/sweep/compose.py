"""The optimize sweep on one cluster: rightsizing, consolidation on the new requests, Spot, one ledger.

    result = sweep(SweepInputs(state, prices, inventory, usage, offerings, at), SweepPolicy(), strategy, risk)

Safer first: a Spot pool the gates refuse or the hive mind flags receives no pod (its nodes are cordoned for the
planner and its Spot offers are not launched), the combined plan is replayed as a whole by the consolidation
validator, and a plan it faults is cut back (first without Spot, then to nothing) rather than returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from engines.cluster.capacity import PriceBook
from engines.cluster.model import SPOT, ClusterState
from engines.consolidation.daemons import DaemonSets
from engines.consolidation.eligibility import assess
from engines.consolidation.plan import Plan
from engines.consolidation.planner import plan_consolidation
from engines.consolidation.validate import validate_plan
from engines.rightsizing.inventory import Inventory
from engines.rightsizing.recommend import rightsize
from engines.rightsizing.result import OomRemediation
from engines.rightsizing.strategy import Strategy
from engines.rightsizing.usage import UsageData
from engines.spot.model import PoolKey
from engines.spot.offerings import Offerings
from engines.spot.risk import RiskStrategy
from engines.sweep.combine import Combined, candidates, combine, final_placement
from engines.sweep.ledger import Ledger
from engines.sweep.policy import SweepPolicy
from engines.sweep.requests import NewRequest, apply_requests
from engines.sweep.settle import NodeAfter, ledger_of, nodes_after, whole_state_problems
from engines.sweep.spot import PoolSafety, choose_spot, pool_safety


@dataclass(frozen=True)
class SweepInputs:
    state: ClusterState
    prices: PriceBook
    inventory: Inventory
    usage: UsageData
    offerings: Offerings  # Spot pools at `at`, for the gates
    at: int  # when the Spot gates are read (epoch seconds)
    end: float | None = None  # end of the usage window (default: the newest sample)
    flagged_pools: Mapping[PoolKey, str] = field(default_factory=dict)  # pool -> why (the hive mind's flags)


@dataclass(frozen=True)
class SweepResult:
    ledger: Ledger
    plan: Plan  # the combined plan, validated
    requests: tuple[NewRequest, ...]
    nodes_after: tuple[NodeAfter, ...]
    placements: Mapping[str, str | None]  # pod key -> node after the plan
    reasons: tuple[str, ...]
    problems: tuple[str, ...] = ()  # what the validator still finds: empty for a plan safe to run
    ooms: tuple[OomRemediation, ...] = ()  # E4: OOM-killed containers, their new memory or an escalation


def sweep(inputs: SweepInputs, policy: SweepPolicy, strategy: Strategy, risk: RiskStrategy) -> SweepResult:
    end = inputs.end if inputs.end is not None else inputs.usage.latest_time()
    sized = rightsize(inputs.usage, inputs.inventory, policy.rightsize, strategy, end)
    start = None if end is None else end - policy.rightsize.window_seconds
    window = inputs.usage.between(start, end) if start is not None and end is not None else UsageData()
    resized = apply_requests(inputs.state, inputs.inventory, sized, window)
    safety = pool_safety(inputs.offerings, risk, inputs.at, inputs.state.region, policy.spot, inputs.flagged_pools)
    book = _safe_book(inputs.prices, safety)
    today, after_rightsizing = _cordoned(inputs.state, safety), _cordoned(resized.state, safety)
    alone = plan_consolidation(today, book, policy.consolidation)
    plan = plan_consolidation(after_rightsizing, book, policy.consolidation)
    eligibility = assess(after_rightsizing, policy.consolidation)
    choices, spot_reasons = choose_spot(
        candidates(after_rightsizing, plan, eligibility, book), book, safety, DaemonSets.of(after_rightsizing),
        policy.spot,
    )  # fmt: skip
    combined, problems, cut = _validated(after_rightsizing, book, policy, combine(plan, choices, eligibility), plan)
    placements = final_placement(after_rightsizing, combined.plan)
    ledger = ledger_of(inputs.state, combined, alone, book)
    reasons = [
        f"rightsizing: {sum(r.changed for r in resized.requests)} of {len(resized.requests)} container(s) get new "
        f"requests ({len(sized.skipped)} left as they are); no memory request below its observed peak",
        f"consolidation alone would save ${alone.savings_per_hour:.4f}/h; on the new requests "
        f"${plan.savings_per_hour:.4f}/h ({len(plan.actions)} action(s); {plan.search})",
        f"Spot: {len(choices)} node(s) relaunched or launched as Spot in pools the gates pass "
        f"(risk <= {policy.spot.max_risk:g}, {len(inputs.flagged_pools)} flagged pool(s) excluded)",
        *cut,
        "ledger: consolidation keeps what it saves alone; workload rightsizing gets the node dollars only the new "
        "requests free; Spot gets On-Demand less Spot of each node it moves (µ$-exact)",
        *(f"{_label(combined, i)}: {'; '.join(a.reasons)}" for i, a in enumerate(combined.plan.actions)),
        *spot_reasons,
    ]
    return SweepResult(
        ledger=ledger,
        plan=combined.plan,
        requests=resized.requests,
        nodes_after=nodes_after(after_rightsizing, combined.plan),
        placements=placements,
        reasons=tuple(reasons),
        problems=tuple(problems),
        ooms=sized.ooms,
    )


def _label(combined: Combined, index: int) -> str:
    return f"spot-{index}" if index < combined.spot_actions else f"action-{index}"


def _validated(
    state: ClusterState, book: PriceBook, policy: SweepPolicy, combined: Combined, plan: Plan
) -> tuple[Combined, list[str], list[str]]:
    """The combined plan if the validator and the whole-state check pass it; else cut back, saying why."""
    problems = _problems(state, book, policy, combined.plan)
    if not problems:
        return combined, [], []
    cut = [f"the plan with Spot failed validation ({problems[0]}): Spot left out"]
    without = Combined(plan, 0, frozenset())
    second = _problems(state, book, policy, plan)
    if not second:
        return without, [], cut
    cut.append(f"the consolidation failed validation ({second[0]}): nothing changes")
    empty = replace(plan, actions=(), cost_after_per_hour=plan.cost_before_per_hour)
    return Combined(empty, 0, frozenset()), _problems(state, book, policy, empty), cut


def _problems(state: ClusterState, book: PriceBook, policy: SweepPolicy, plan: Plan) -> list[str]:
    return validate_plan(state, plan, book, policy.consolidation) + whole_state_problems(state, plan)


def _safe_book(prices: PriceBook, safety: PoolSafety) -> PriceBook:
    """The price book without the Spot pools the gates refuse: the planner never launches into them."""
    return replace(prices, spot={k: p for k, p in prices.spot.items() if k in safety.safe})


def _cordoned(state: ClusterState, safety: PoolSafety) -> ClusterState:
    """Nodes in a refused Spot pool receive no pod (the planner may still drain them)."""
    nodes = tuple(
        replace(n, unschedulable=True)
        if n.capacity_type == SPOT and safety.why_not(n.instance_type, n.zone) is not None
        else n
        for n in state.nodes
    )
    return replace(state, nodes=nodes)
