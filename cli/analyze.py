"""`cloudoptim analyze`: the optimize sweep offline on exported files (cluster, CPU and memory usage).

The cluster file serves both engines: consolidation reads nodes, pods and budgets, rightsizing the containers,
owners and HPAs of the same objects. Prices and the Spot gates' data are the shipped Day-Zero snapshot.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cli import render_sweep
from cloudoptim.adapters.day_zero import DayZeroData, load_day_zero
from cloudoptim.adapters.file_io import read_text
from cloudoptim.adapters.kube.cluster import load_cluster
from cloudoptim.adapters.kube.workloads import inventory_of
from cloudoptim.adapters.prometheus import load_matrix
from cloudoptim.adapters.sweep_inputs import sweep_inputs
from cloudoptim.errors import InputFileError, InvalidArgumentError
from engines.cluster.capacity import PriceBook
from engines.cluster.model import ClusterState
from engines.rightsizing.inventory import Inventory
from engines.rightsizing.registry import get_strategy
from engines.rightsizing.usage import UsageData
from engines.spot.model import PoolKey
from engines.spot.risk import get_strategy as get_risk
from engines.sweep.compose import SweepResult, sweep
from engines.sweep.policy import SweepPolicy


def add_commands(areas: Any) -> None:
    command = areas.add_parser(
        "analyze", help="the optimize sweep offline: rightsizing, then consolidation, then Spot, one savings ledger"
    )
    command.add_argument("--cluster", required=True, metavar="PATH", help="kubectl get nodes,pods,pdb,hpa -A -o json")
    command.add_argument("--cpu-usage", required=True, metavar="PATH", help="query_range matrix: CPU cores used")
    command.add_argument("--memory-usage", required=True, metavar="PATH", help="query_range matrix: working set bytes")
    command.add_argument("--region", help="region whose prices apply when the nodes carry no region label")
    command.add_argument(
        "--policy", metavar="PATH", help='JSON {"rightsize": {...}, "consolidation": {...}, "spot": {...}}'
    )
    command.add_argument(
        "--flagged-pools", metavar="PATH", help='JSON {"<type>/<zone>": "why", ...}: Spot pools to keep out'
    )
    command.add_argument("--format", choices=["json", "table"], default="table")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> str:
    policy = _policy(args.policy)
    data = load_day_zero()
    loaded = load_cluster(Path(args.cluster), data, args.region)
    inventory = inventory_of(loaded.objects, args.cluster)
    usage = UsageData(load_matrix(Path(args.cpu_usage)), load_matrix(Path(args.memory_usage)))
    if not usage.containers():
        raise InputFileError(f"{args.cpu_usage}, {args.memory_usage}: no container series in either file")
    flagged = _flagged(args.flagged_pools)
    result = analyze(loaded.state, loaded.prices, inventory, usage, data, policy, flagged)
    return render_sweep.render(result, args.format)


def analyze(
    state: ClusterState,
    prices: PriceBook,
    inventory: Inventory,
    usage: UsageData,
    data: DayZeroData,
    policy: SweepPolicy,
    flagged: dict[PoolKey, str] | None = None,
) -> SweepResult:
    """The sweep on loaded inputs, as the sweep Lambda runs it (cloudoptim.adapters.sweep_inputs)."""
    try:
        strategy = get_strategy(policy.rightsize.strategy, policy.rightsize.strategy_settings)
    except KeyError as exc:
        raise InvalidArgumentError(f"rightsize.strategy: {exc.args[0]}") from None
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem.get("loc", ()))
        raise InvalidArgumentError(f"rightsize.strategy_settings.{where}: {problem.get('msg')}") from None
    inputs = sweep_inputs(state, prices, inventory, usage, data, policy, flagged)
    return sweep(inputs, policy, strategy, get_risk())


def _policy(path: str | None) -> SweepPolicy:
    if path is None:
        return SweepPolicy()
    raw = _json(path)
    if not isinstance(raw, dict):
        raise InputFileError(f"{path}: expected a JSON object with rightsize, consolidation and spot sections")
    try:
        return SweepPolicy.model_validate(raw)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem.get("loc", ())) or "policy"
        raise InvalidArgumentError(f"{path}: {where}: {problem.get('msg')}") from None


def _flagged(path: str | None) -> dict[PoolKey, str]:
    if path is None:
        return {}
    raw = _json(path)
    if not isinstance(raw, dict):
        raise InputFileError(f'{path}: expected a JSON object {{"<type>/<zone>": "why"}}')
    flagged = {}
    for pool, why in raw.items():
        instance_type, _, zone = str(pool).partition("/")
        if not instance_type or not zone:
            raise InputFileError(f"{path}: pool {pool!r} is not <instance type>/<zone>")
        flagged[PoolKey(instance_type, zone)] = str(why)
    return flagged


def _json(path: str) -> Any:
    try:
        return json.loads(read_text(Path(path)))
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
