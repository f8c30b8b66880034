"""`cloudoptim consolidate` and `cloudoptim rightsize-nodes`: read a cluster, plan, render the plan."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from cli import render_plan
from cli.timeparse import wall_clock
from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.file_io import read_text
from cloudoptim.adapters.kube.cluster import load_cluster
from cloudoptim.adapters.price_ages import on_demand_age, spot_age
from cloudoptim.errors import InputFileError
from engines.consolidation.planner import plan_consolidation
from engines.consolidation.policy import ConsolidationPolicy
from engines.pricing.freshness import PriceSource


def add_commands(areas: Any) -> None:
    consolidate = areas.add_parser(
        "consolidate", help="plan deletions and replacements of under-used nodes (never breaking a PDB)"
    )
    _options(consolidate)
    consolidate.set_defaults(run=run_consolidate)
    nodes = areas.add_parser("rightsize-nodes", help="replace oversized nodes by the cheapest type that fits")
    _options(nodes)
    nodes.set_defaults(run=run_rightsize_nodes)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cluster", required=True, help="kubectl get nodes,pods,pdb -A -o json (or -o yaml; several answers may follow"
        " one another in the file)"
    )  # fmt: skip
    parser.add_argument("--region", help="region whose prices apply when the nodes carry no region label")
    parser.add_argument(
        "--nodes-are-empty",
        action="store_true",
        help="the file holds nodes and no pods because the nodes really run none (else such a file is refused)",
    )
    parser.add_argument("--policy", help="JSON file of ConsolidationPolicy fields (docs/decisions.md)")
    parser.add_argument("--format", choices=["json", "table"], default="table")


def run_consolidate(args: argparse.Namespace) -> str:
    return _run(args, _policy(args.policy))


def run_rightsize_nodes(args: argparse.Namespace) -> str:
    # Node rightsizing is the planner limited to one-for-one replacements.
    policy = _policy(args.policy).model_copy(update={"allow_delete": False, "max_nodes_per_replace": 1})
    return _run(args, policy)


def _run(args: argparse.Namespace, policy: ConsolidationPolicy) -> str:
    data = load_day_zero()
    loaded = load_cluster(Path(args.cluster), data, args.region, args.nodes_are_empty)
    state, prices = loaded.state, loaded.prices
    plan = plan_consolidation(state, prices, policy)
    now, history = wall_clock(), data.price_history(state.region)
    ages = (
        spot_age(history, now, now, PriceSource.SHIPPED).reason,
        on_demand_age(data.on_demand, state.region, now, PriceSource.SHIPPED).reason,
    )  # every action's savings rest on these prices
    plan = dataclasses.replace(
        plan, actions=tuple(dataclasses.replace(a, reasons=(*a.reasons, *ages)) for a in plan.actions)
    )
    used = {n.instance_type for n in state.nodes} | {r.instance_type for a in plan.actions for r in a.launches}
    notes = [prices.notes[t] for t in sorted(used) if t in prices.notes]
    source = render_plan.Source(args.cluster, state.region, loaded.objects.kinds)
    return render_plan.render(plan, args.format, notes, source)


def _policy(path: str | None) -> ConsolidationPolicy:
    if path is None:
        return ConsolidationPolicy()
    try:
        raw = json.loads(read_text(Path(path)))
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    return ConsolidationPolicy.model_validate(raw)
