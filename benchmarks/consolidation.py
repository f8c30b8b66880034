"""Consolidation on the standard OpenB clusters: our planner against a Karpenter re-implementation and an exact solver.

Per cluster (100 nodes seeds 1-5, 1,000 nodes seeds 1-2, 5,000 nodes, and 1,000 nodes with 10,000 pods): cost per
hour before and after, for each comparison below (COMPARISONS states its settings; the README repeats them):
- ours: the default ConsolidationPolicy (our candidate rules: kube-system, bare and emptyDir pods stay; splits on);
- ours, Karpenter's rules: the same planner on Karpenter's candidate set (karpenter_baseline.KARPENTER_RULES);
- ours, no splits: the default policy with allow_split off (M->1 and 1->1 only, as Karpenter);
- karpenter: WhenEmptyOrUnderutilized with its own candidate rules, its default 10% budget and its
  SpotToSpotConsolidation gate at its default (off);
- karpenter, spot-to-spot on: the same with the gate on (single-node spot replacement needs 15 cheaper types);
- on 100-node clusters the CP-SAT optimum and bound (benchmarks/exact_consolidation.py).
Gap = (ours - best proven bound) / best proven bound, the best proven bound being the larger of CP-SAT's bound and
our planner's lower bound (which holds under the assumptions it states: bound.ASSUMPTIONS); "vs exact" compares with
CP-SAT's best solution. Evictions per $/h = pods moved / savings per hour. Our planning time is the median of 3 runs
pinned to one core; Karpenter's is one run; loading (JSON parse) is reported apart. Every plan goes through
validate_plan under the candidate rules it was made with (capacity in every resource, node and pod-to-pod rules,
do-not-disrupt, PDBs and their eviction rounds, every pod moved).
Run: .venv/bin/python benchmarks/consolidation.py [--sizes 100,1000,5000] [--exact-time-limit 60] [--skip-exact]
     [--skip-variants]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "layers")]

from benchmarks._shared import ROOT, require, timed  # noqa: E402
from benchmarks.exact_consolidation import ExactSettings, solve_exact  # noqa: E402
from benchmarks.karpenter_baseline import (  # noqa: E402
    KARPENTER_RULES,
    KarpenterSettings,
    karpenter_consolidation,
)
from benchmarks.traces.openb import NODES_CSV, PODS_CSV, STANDARD, cluster_path  # noqa: E402
from cloudoptim.adapters.day_zero import load_day_zero  # noqa: E402
from cloudoptim.adapters.kube.cluster import parse_cluster  # noqa: E402
from cloudoptim.adapters.node_prices import price_book  # noqa: E402
from engines.cluster.capacity import PriceBook  # noqa: E402
from engines.cluster.model import ClusterState  # noqa: E402
from engines.consolidation.plan import Plan  # noqa: E402
from engines.consolidation.planner import plan_consolidation  # noqa: E402
from engines.consolidation.policy import ConsolidationPolicy  # noqa: E402
from engines.consolidation.validate import validate_plan  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "consolidation.json"
PERF = "openb-1000-10kpods"
DEFAULT = ConsolidationPolicy()
# name -> (what runs, its settings in words); "ours" and "karpenter" always run, the others unless --skip-variants
COMPARISONS = {
    "ours": ("planner", "default policy: our candidate rules, splits on"),
    "ours_k_rules": ("planner", "Karpenter's candidate rules (kube-system, bare and emptyDir pods may move)"),
    "ours_no_splits": ("planner", "default policy with allow_split off (M->1 and 1->1 only)"),
    "ours_k_no_splits": ("planner", "Karpenter's candidate rules and allow_split off: Karpenter's moves and rules"),
    "karpenter": ("karpenter", "its own candidate rules, 10% budget, spot-to-spot gate off (its default)"),
    "karpenter_s2s": ("karpenter", "its own candidate rules, 10% budget, spot-to-spot gate on"),
}
POLICIES = {
    "ours": DEFAULT,
    "ours_k_rules": KARPENTER_RULES,
    "ours_no_splits": DEFAULT.model_copy(update={"allow_split": False}),
    "ours_k_no_splits": KARPENTER_RULES.model_copy(update={"allow_split": False}),
    "karpenter": KARPENTER_RULES,
    "karpenter_s2s": KARPENTER_RULES,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="cluster sizes to run (node counts)")
    parser.add_argument("--exact-time-limit", type=float, default=60.0)
    parser.add_argument("--skip-exact", action="store_true")
    parser.add_argument("--skip-variants", action="store_true", help="only ours and karpenter, at their defaults")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    require(NODES_CSV, PODS_CSV)
    sizes = {int(s) for s in args.sizes.split(",") if s}
    prices = price_book(load_day_zero(), "eu-west-1")
    exact = None if args.skip_exact else ExactSettings(time_limit=args.exact_time_limit)
    rows = []
    for name, (nodes, seed, pods) in STANDARD.items():
        if nodes in sizes:
            path = cluster_path(nodes, seed, pods=pods)
            rows.append(run_cluster(name, path, prices, exact if nodes <= 100 else None, not args.skip_variants))
            print(f"  {name}: done", flush=True)
    report(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"clusters": rows}, indent=1, sort_keys=True))
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


def run_cluster(
    name: str, path: Path, prices: PriceBook, exact: ExactSettings | None, variants: bool
) -> dict[str, Any]:
    state, load_seconds = timed(lambda: parse_cluster(json.loads(path.read_text()), prices))
    runs = []
    with one_core():
        for _ in range(3):
            runs.append(timed(lambda: plan_consolidation(state, prices)))
    ours = runs[0][0]
    row: dict[str, Any] = {
        "cluster": name,
        "nodes": len(state.nodes),
        "pods": sum(1 for p in state.pods if p.is_active),
        "cost_before": state.cost_per_hour(),
        "lower_bound": ours.lower_bound_cost_per_hour,
        "load_seconds": load_seconds,
        "ours": summary(state, ours, prices, DEFAULT) | {"seconds": statistics.median(s for _, s in runs)},
    }
    for variant in ("ours_k_rules", "ours_no_splits", "ours_k_no_splits", "karpenter", "karpenter_s2s"):
        if variants or variant == "karpenter":
            row[variant] = run_variant(variant, state, prices)
    best = ours.lower_bound_cost_per_hour
    if exact is not None:
        result = solve_exact(state, prices, settings=exact)
        row["exact"] = dataclasses.asdict(result)
        best = max(best, result.bound)
        if result.objective:
            row["ours_vs_exact"] = ours.cost_after_per_hour / result.objective - 1
    row["best_bound"] = best
    row["gap"] = (ours.cost_after_per_hour - best) / best if best > 0 else None
    row["karpenter_gap"] = (row["karpenter"]["cost_after"] - best) / best if best > 0 else None
    return row


def run_variant(variant: str, state: ClusterState, prices: PriceBook) -> dict[str, Any]:
    policy = POLICIES[variant]
    if COMPARISONS[variant][0] == "planner":
        plan, seconds = timed(lambda: plan_consolidation(state, prices, policy))
        return summary(state, plan, prices, policy) | {"seconds": seconds}
    settings = KarpenterSettings(spot_to_spot=variant == "karpenter_s2s")
    (plan, stats), seconds = timed(lambda: karpenter_consolidation(state, prices, policy, settings))
    extra = {"seconds": seconds, "commands": dict(stats.commands), "simulations": stats.simulations}
    return summary(state, plan, prices, policy) | extra


def summary(state: ClusterState, plan: Plan, prices: PriceBook, policy: ConsolidationPolicy) -> dict[str, Any]:
    problems = validate_plan(state, plan, prices, policy)
    savings = plan.savings_per_hour
    return {
        "cost_after": plan.cost_after_per_hour,
        "savings": savings,
        "pods_moved": plan.pods_moved,
        "nodes_removed": sum(len(a.nodes) for a in plan.actions),
        "new_nodes": sum(1 for a in plan.actions if a.replacement),
        "evictions_per_dollar_hour": plan.pods_moved / savings if savings > 0 else None,
        "problems": problems,
        "search": plan.search,
    }


@contextmanager
def one_core() -> Iterator[None]:
    """Pin the process to one CPU while timing our planner (the goal is stated for one core)."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def report(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'cluster':20} {'nodes':>5} {'pods':>6} {'before':>9} {'ours':>9} {'karp':>9} {'exact':>9} {'st':>3} "
        f"{'bound':>9} {'gap%':>6} {'vsEx%':>6} {'moves o/k':>10} {'ev/$ o/k':>11} {'s o/k/ex':>15} {'ok':>3}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        o, k, e = r["ours"], r["karpenter"], r.get("exact")
        exact_cost = f"{e['objective']:9.2f}" if e and e["objective"] is not None else f"{'-':>9}"
        status = e["status"][:3] if e else "-"
        ev = f"{_num(o['evictions_per_dollar_hour'], 1)}/{_num(k['evictions_per_dollar_hour'], 1)}"
        secs = (
            f"{o['seconds']:.2f}/{k['seconds']:.1f}/{e['seconds']:.0f}"
            if e
            else f"{o['seconds']:.2f}/{k['seconds']:.1f}"
        )
        ok = "yes" if not any(r[v]["problems"] for v in COMPARISONS if v in r) else "NO"
        print(
            f"{r['cluster']:20} {r['nodes']:5d} {r['pods']:6d} {r['cost_before']:9.2f} {o['cost_after']:9.2f} "
            f"{k['cost_after']:9.2f} {exact_cost} {status:>3} {r['best_bound']:9.2f} {_pct(r['gap']):>6} "
            f"{_pct(r.get('ours_vs_exact')):>6} {o['pods_moved']:>4}/{k['pods_moved']:<5} {ev:>11} {secs:>15} {ok:>3}"
        )
    print("-" * len(header))
    _ratios(rows)
    _comparisons(rows)


PAIRS = (
    ("ours", "karpenter"),
    ("ours_k_rules", "karpenter"),
    ("ours_no_splits", "karpenter"),
    ("ours_k_no_splits", "karpenter"),
    ("ours", "karpenter_s2s"),
    ("ours_k_rules", "karpenter_s2s"),
    ("ours_k_no_splits", "karpenter_s2s"),
)


def _comparisons(rows: list[dict[str, Any]]) -> None:
    """Cost after per comparison (settings in COMPARISONS), and where each of ours wins or loses."""
    present = [v for v in COMPARISONS if any(v in r for r in rows)]
    print("\ncost after, $/h, per comparison:")
    for variant in present:
        print(f"  {variant:15} {COMPARISONS[variant][1]}")
    print(f"{'cluster':20} " + " ".join(f"{v:>15}" for v in present))
    for r in rows:
        costs = (f"{r[v]['cost_after']:15.2f}" if v in r else f"{'-':>15}" for v in present)
        print(f"{r['cluster']:20} " + " ".join(costs))
    for mine, theirs in PAIRS:
        pairs = [r for r in rows if mine in r and theirs in r]
        if not pairs:
            continue
        lost = [r["cluster"] for r in pairs if r[mine]["cost_after"] > r[theirs]["cost_after"] + 1e-9]
        tied = [r["cluster"] for r in pairs if abs(r[mine]["cost_after"] - r[theirs]["cost_after"]) <= 1e-9]
        print(
            f"{mine} vs {theirs}: cheaper on {len(pairs) - len(lost) - len(tied)} of {len(pairs)}"
            + (f"; dearer on {', '.join(lost)}" if lost else "")
            + (f"; equal on {', '.join(tied)}" if tied else "")
        )


def _ratios(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        o, k = r["ours"], r["karpenter"]
        cheaper = o["cost_after"] < k["cost_after"] - 1e-9 or (
            abs(o["cost_after"] - k["cost_after"]) <= 1e-9 and o["pods_moved"] < k["pods_moved"]
        )
        print(
            f"{r['cluster']}: ours/karpenter cost after {o['cost_after'] / k['cost_after']:.3f}, savings "
            f"{o['savings'] / max(k['savings'], 1e-9):.3f}x, moves {o['pods_moved'] / max(k['pods_moved'], 1):.2f}x; "
            f"ours {'beats' if cheaper else 'does NOT beat'} Karpenter; load {r['load_seconds']:.2f} s"
        )
        for who in (v for v in COMPARISONS if v in r):
            for problem in r[who]["problems"][:5]:
                print(f"  {who} INVALID: {problem}")
    for r in rows:
        if r["cluster"] == PERF:
            verdict = "meets" if r["ours"]["seconds"] < 2.0 else "MISSES"
            print(
                f"{PERF}: {r['pods']} pods, load {r['load_seconds']:.2f} s, our planning {r['ours']['seconds']:.2f} s "
                f"on one core (median of 3): {verdict} the < 2 s goal"
            )


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


if __name__ == "__main__":
    main()
