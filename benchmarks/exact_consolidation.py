"""An exact model of the consolidation decision, to measure how far a plan is from optimal (100-node clusters).

Model (benchmarks/exact_model.py; integer costs in micro-dollars per hour, memory in MiB):
- pods on blocked nodes (assess()) stay; blocked nodes are kept and cost their price;
- each other node n has keep_n in {0,1} costing price_n; if kept its pods stay on it, if not each of its movable
  (non-DaemonSet) pods goes to exactly one bin: a kept existing node (blocked ones included, never a cordoned one)
  or a new bin. New bins come per replacement group of the planner (zone, capacity type, taints, node pool, arch,
  GPU family) and hold pods of nodes with the same zone, capacity type, arch and GPU family only (a replacement
  keeps them, in the planner and the Karpenter baseline alike); each bin takes at most one type of the group's
  menu. A group needs at most one bin per pod; CP-SAT gets min(bins_per_group, that) for speed;
- the menu is every offer our planner may launch there (groups.may_replace), capacities clipped to the group's
  total demand, minus dominated offers (one no dearer, with at least the capacity, that every pod able to use the
  other may also use): dropping those loses nothing. CP-SAT gets the `menu_size` cheapest;
- capacity in cpu, memory, GPUs and pod slots (existing nodes: what is free now; new bins: allocatable minus the
  DaemonSets of the new node); compatibility: Pod.static_fit on the node (or on the group's template with that
  type), and the zone of a persistent volume (Placement.home_zone);
- required anti-affinity on the hostname: two conflicting pods never share a bin, and a pod never moves to a node
  holding a conflicting pod (which stays whenever that node is kept);
- objective: kept prices + new-bin prices.
Relaxed (so the optimum is a LOWER bound for the planner's problem, and the planner's plan is feasible for it):
topology spread, required pod affinity, anti-affinity on other keys, PDB limits per action, minimum savings, and
the planner's search rules (pods move once, a group's nodes merge into one node). Memory rounds towards fitting.
Solving: CP-SAT for `time_limit` seconds with `workers` workers (linearization level 2: much better solutions
here). Its own bound is weak on this bin-packing structure at 2 workers, and only valid for the model it solved,
so the reported bound is the best of: the linear relaxation of the uncapped model (all constraints are linear;
GLOP, on the pooled form of ExactSettings), and CP-SAT's bound when its model was not capped. Every solution
CP-SAT finds is a real solution, so the optimum lies in [bound, objective].
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from benchmarks.exact_model import MICRO, ExactSettings, Group, build_model
from engines.cluster.capacity import PriceBook
from engines.cluster.model import ClusterState
from engines.consolidation.policy import ConsolidationPolicy

__all__ = ["ExactResult", "ExactSettings", "solve_exact"]
RELAXED = (
    "topology spread",
    "required pod affinity",
    "anti-affinity on keys other than the hostname",
    "PDB limits per action",
    "minimum savings",
)
_INT64 = 2**62  # CP-SAT writes an open side of a linear constraint as +-2^63-1


@dataclass(frozen=True)
class ExactResult:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE or UNKNOWN (CP-SAT's names)
    objective: float | None  # $/h of the best solution found
    bound: float  # $/h that no solution of the model beats: max(CP-SAT's bound, the LP relaxation)
    cp_sat_bound: float
    lp_bound: float | None
    seconds: float
    nodes_removed: int
    new_nodes: int
    pods_moved: int
    capped: bool  # CP-SAT solved a capped model (fewer bins than pods, or a truncated menu) for speed
    launched: tuple[str, ...] = ()  # "zone/capacity type/instance type" of each new bin of the best solution
    relaxed: tuple[str, ...] = RELAXED


def solve_exact(
    state: ClusterState,
    prices: PriceBook,
    policy: ConsolidationPolicy | None = None,
    settings: ExactSettings | None = None,
) -> ExactResult:
    started = time.perf_counter()
    settings = settings or ExactSettings()
    policy = policy or ConsolidationPolicy()
    built = build_model(state, prices, policy, settings)
    # The LP bound must hold for the uncapped problem: the whole menu, bins pooled (ExactSettings.pooled).
    relaxed = build_model(state, prices, policy, replace(settings, menu_size=None, pooled=True))
    lp = _lp_bound(relaxed.model, settings.time_limit)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = settings.time_limit
    solver.parameters.num_workers = settings.workers
    solver.parameters.linearization_level = 2  # far better solutions here than the default level
    solver.parameters.random_seed = settings.seed
    status = solver.solve(built.model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    cp_bound = built.fixed + solver.best_objective_bound / MICRO
    lp_bound = None if lp is None else built.fixed + lp / MICRO
    groups = built.groups
    return ExactResult(
        status=solver.status_name(status),
        objective=built.fixed + solver.objective_value / MICRO if found else None,
        # CP-SAT's bound is for the model it solved, so it only counts when that model is not capped
        bound=max(lp_bound or 0.0, 0.0 if built.capped else cp_bound),
        cp_sat_bound=cp_bound,
        lp_bound=lp_bound,
        seconds=time.perf_counter() - started,
        nodes_removed=sum(1 for v in built.keep.values() if found and not solver.value(v)),
        new_nodes=sum(solver.value(u) for g in groups for u, _ in g.bins) if found else 0,
        pods_moved=sum(solver.value(v) for a in built.assign.values() for v in a.values()) if found else 0,
        capped=built.capped,
        launched=tuple(_launched(solver, groups)) if found else (),
    )


def _lp_bound(model: cp_model.CpModel, time_limit: float) -> float | None:
    """The optimum of the model's linear relaxation (micro-dollars, without the fixed part); None if GLOP fails
    or runs out of time.

    Rows are scaled by their largest coefficient: memory in bytes next to 0/1 variables upsets the simplex.
    """
    proto = model.proto
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return None
    infinity = lp.infinity()
    variables = [lp.NumVar(float(v.domain[0]), float(v.domain[len(v.domain) - 1]), "") for v in proto.variables]
    for constraint in proto.constraints:
        linear = constraint.linear
        if not constraint.has_linear() or len(constraint.enforcement_literal) or len(linear.domain) != 2:
            return None  # not a plain linear row: no relaxation computed
        scale = float(max((abs(c) for c in linear.coeffs), default=1))
        low, high = linear.domain[0], linear.domain[1]
        row = lp.Constraint(-infinity if low < -_INT64 else low / scale, infinity if high > _INT64 else high / scale)
        for var, coeff in zip(linear.vars, linear.coeffs, strict=True):
            row.SetCoefficient(variables[var], coeff / scale)
    objective = lp.Objective()
    for var, coeff in zip(proto.objective.vars, proto.objective.coeffs, strict=True):
        objective.SetCoefficient(variables[var], coeff / MICRO)  # in dollars: GLOP fails on micro-dollars
    objective.SetMinimization()
    lp.SetTimeLimit(int(time_limit * 1000))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return float(objective.Value()) * MICRO + float(proto.objective.offset)


def _launched(solver: cp_model.CpSolver, groups: list[Group]) -> list[str]:
    found = []
    for g in groups:
        seed = g.template.seed
        for _, ys in g.bins:
            for t, y in zip(g.menu, ys, strict=True):
                if solver.value(y):
                    found.append(f"{seed.zone}/{seed.capacity_type}/{g.template.offers[t].instance_type}")
    return found
