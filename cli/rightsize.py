"""`cloudoptim rightsize`: wire the Prometheus and Kubernetes adapters to the rightsizing engine."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cli import render_rightsize
from cli.timeparse import parse_time
from cloudoptim.adapters.file_io import read_text
from cloudoptim.adapters.kube.workloads import load_inventory
from cloudoptim.adapters.prometheus import load_matrix
from cloudoptim.errors import InputFileError, InvalidArgumentError
from engines.rightsizing.policy import RightsizePolicy
from engines.rightsizing.recommend import rightsize
from engines.rightsizing.registry import get_strategy, strategy_names
from engines.rightsizing.usage import UsageData


def add_commands(areas: Any) -> None:
    command = areas.add_parser("rightsize", help="recommend container requests from usage history; remediate OOM kills")
    command.add_argument("--cpu-usage", required=True, metavar="PATH", help="query_range matrix: CPU cores used")
    command.add_argument("--memory-usage", required=True, metavar="PATH", help="query_range matrix: working set bytes")
    command.add_argument("--workloads", required=True, metavar="PATH", help="kubectl get pods,nodes,hpa -A -o json")
    command.add_argument("--window-days", type=float, help="history to use, ending at the newest sample (default 14)")
    command.add_argument("--policy", metavar="PATH", help="JSON with any RightsizePolicy field (defaults otherwise)")
    command.add_argument("--strategy", choices=strategy_names(), help="default cloudoptim (krr-simple, vpa-target)")
    command.add_argument("--at", help="ISO-8601 end of the window (default: the newest sample)")
    command.add_argument("--format", choices=["table", "json"], default="table")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> str:
    policy = _policy(args)
    try:
        strategy = get_strategy(policy.strategy, policy.strategy_settings)
    except KeyError as exc:
        raise InvalidArgumentError(str(exc.args[0])) from None
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem.get("loc", ()))
        raise InvalidArgumentError(f"strategy_settings.{where}: {problem.get('msg')}") from None
    usage = UsageData(load_matrix(Path(args.cpu_usage)), load_matrix(Path(args.memory_usage)))
    inventory = load_inventory(Path(args.workloads))
    end = parse_time(args.at, "--at") if args.at else None
    result = rightsize(usage, inventory, policy, strategy, end)
    return render_rightsize.render(result, policy.window_days, args.format)


def _policy(args: argparse.Namespace) -> RightsizePolicy:
    fields: dict[str, Any] = {}
    if args.policy:
        path = Path(args.policy)
        try:
            fields = json.loads(read_text(path))
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(fields, dict):
            raise InputFileError(f"{path}: expected a JSON object of policy fields")
    if args.window_days is not None:
        fields["window_days"] = args.window_days
    if args.strategy:
        fields["strategy"] = args.strategy
    try:
        return RightsizePolicy.model_validate(fields)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem.get("loc", ())) or "policy"
        source = args.policy or "options"
        raise InvalidArgumentError(f"{source}: {where}: {problem.get('msg')}") from None
