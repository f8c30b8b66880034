"""`cloudoptim spot rank|plan|backtest`: wire the data adapters to the Spot engine and render the answer."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli import render
from cli.inputs import SpotInputs, load_spot_inputs
from cli.timeparse import parse_time, wall_clock
from cloudoptim.adapters.price_ages import on_demand_age, spot_age
from cloudoptim.errors import InvalidArgumentError, NoPoolFitsError
from engines.pricing.freshness import PriceSource
from engines.spot.backtest import BacktestSettings, get_selector, run_backtest, selector_names
from engines.spot.fleet import FleetPolicy, plan_fleet
from engines.spot.offerings import build_offerings
from engines.spot.ranking import RankPolicy, RankResult, rank_pools
from engines.spot.requirements import Requirements
from engines.spot.risk import RiskStrategy, get_strategy

if TYPE_CHECKING:
    from ml.inference import RiskModel

DAY = 86400


def add_commands(areas: Any) -> None:
    spot = areas.add_parser("spot", help="Spot pools: rank, plan a fleet, backtest policies")
    commands = spot.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rank = commands.add_parser("rank", help="rank the safe Spot pools of a region for a node shape")
    _selection_options(rank)
    rank.add_argument("--top", type=int, default=10, help="how many pools to show (default 10)")
    rank.set_defaults(run=run_rank)
    plan = commands.add_parser("plan", help="plan a diversified fleet of N nodes")
    _selection_options(plan)
    plan.add_argument("--nodes", type=int, required=True)
    plan.add_argument("--min-azs", type=int, default=3)
    plan.add_argument("--max-pool-share", type=float, default=0.20)
    plan.add_argument("--on-demand-share", type=float, default=0.15)
    plan.set_defaults(run=run_plan)
    backtest = commands.add_parser("backtest", help="replay price history under a selection policy")
    _selection_options(backtest, at=False)
    backtest.add_argument("--nodes", type=int, required=True)
    backtest.add_argument("--policy", required=True, choices=selector_names())
    backtest.add_argument("--start", help="ISO-8601 (default: a week after the first price)")
    backtest.add_argument("--end", help="ISO-8601 (default: the last price)")
    backtest.add_argument("--rebalance-hours", type=float, default=24.0)
    backtest.add_argument(
        "--on-demand-share",
        type=float,
        default=0.0,
        help="On-Demand buffer of the yield policy (default 0: compare Spot choices alone)",
    )
    backtest.set_defaults(run=run_backtest_command)


def _selection_options(parser: argparse.ArgumentParser, at: bool = True) -> None:
    parser.add_argument("--region", required=True)
    parser.add_argument("--vcpus", type=float, required=True, help="minimum vCPUs per node")
    parser.add_argument("--memory-gib", type=float, required=True, help="minimum memory per node (GiB)")
    parser.add_argument(
        "--arch",
        choices=["x86_64", "arm64", "any"],
        default="x86_64",
        help="node architecture (default x86_64, as Karpenter's default NodePool; 'any' mixes both)",
    )
    parser.add_argument("--no-burstable", action="store_true", help="leave out burstable (t*) types")
    parser.add_argument(
        "--allow-previous-generation",
        action="store_true",
        help="also consider types AWS lists as previous generation (m4, c4, m2, ...)",
    )
    parser.add_argument("--gpus", type=int, default=0)
    parser.add_argument("--families", help="comma-separated allowed families, e.g. m6i,c6i")
    parser.add_argument("--block-families", help="comma-separated blocked families")
    parser.add_argument("--types", help="comma-separated allowed instance types")
    parser.add_argument("--block-types", help="comma-separated blocked instance types")
    parser.add_argument("--min-generation", type=int)
    parser.add_argument("--prices", nargs="+", metavar="PATH", help="spot price history files (default: shipped)")
    parser.add_argument("--advisor", metavar="PATH", help="Spot Advisor JSON (default: shipped snapshot)")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument(
        "--model",
        metavar="DIR",
        help="interruption-risk model directory: its probability becomes the risk (heuristic where it has none)",
    )
    if at:
        parser.add_argument("--at", help="ISO-8601 moment to decide at (default: the newest price in the data)")


def _requirements(args: argparse.Namespace) -> Requirements:
    def names(text: str | None) -> frozenset[str]:
        return frozenset(n.strip() for n in text.split(",") if n.strip()) if text else frozenset()

    return Requirements(
        vcpus=args.vcpus,
        memory_gib=args.memory_gib,
        arch=None if args.arch == "any" else args.arch,
        gpus=args.gpus,
        allow_burstable=not args.no_burstable,
        allow_previous_generation=args.allow_previous_generation,
        allowed_families=names(args.families),
        blocked_families=names(args.block_families),
        allowed_types=names(args.types),
        blocked_types=names(args.block_types),
        min_generation=args.min_generation,
    )


def _ranked(args: argparse.Namespace) -> tuple[SpotInputs, RankResult]:
    requirements = _requirements(args)
    inputs = load_spot_inputs(args.region, args.prices, args.advisor)
    at = parse_time(args.at, "--at") if args.at else inputs.newest_price_time()
    offerings = build_offerings(inputs.history, inputs.catalog, inputs.on_demand, inputs.advisor, at)
    result = rank_pools(offerings, requirements, _strategy(args, inputs, at), at, args.region, RankPolicy())
    if not len(result.compatible):
        older = requirements.model_copy(update={"allow_previous_generation": True})
        names = sorted({o.instance_type for o in offerings.compatible(older)})
        if names and not requirements.allow_previous_generation:
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            raise NoPoolFitsError(
                f"only previous-generation types priced in {args.region} at that time meet {_describe(requirements)} "
                f"({shown}); pass --allow-previous-generation to consider them"
            )
        raise NoPoolFitsError(f"no instance type priced in {args.region} at that time meets {_describe(requirements)}")
    ages = _ages(args, inputs, at)
    pools = tuple(dataclasses.replace(p, reasons=(*p.reasons, *ages)) for p in result.pools)
    return inputs, dataclasses.replace(result, pools=pools)


def _ages(args: argparse.Namespace, inputs: SpotInputs, at: int) -> tuple[str, ...]:
    """How old the prices behind the decision are: at --at when given, else now (the shipped ones are old)."""
    now = at if args.at else wall_clock()
    source = PriceSource.FILE if args.prices else PriceSource.SHIPPED
    spot = spot_age(inputs.history, at, now, source)
    on_demand = on_demand_age(inputs.on_demand, args.region, now, PriceSource.SHIPPED)
    return spot.reason, on_demand.reason


def _model(args: argparse.Namespace) -> RiskModel | None:
    if not args.model:
        return None
    from ml.inference import load_model  # LightGBM is the optional `ml` extra: import it only when asked for

    return load_model(Path(args.model))


def _strategy(args: argparse.Namespace, inputs: SpotInputs, at: int) -> RiskStrategy:
    """The model's probabilities where --model is given (computed here, outside the engine), else the heuristic."""
    model = _model(args)
    if model is None:
        return get_strategy()
    probabilities = model.probabilities(inputs.history, inputs.on_demand, inputs.advisor, at)
    return get_strategy("model", {"probabilities": probabilities, "model": model.name})


def run_rank(args: argparse.Namespace) -> str:
    if args.top < 1:
        raise InvalidArgumentError(f"--top must be at least 1, got {args.top}")
    inputs, result = _ranked(args)
    return render.rank(result, args.top, inputs.describe(), args.format)


def run_plan(args: argparse.Namespace) -> str:
    if args.nodes < 1:
        raise InvalidArgumentError(f"--nodes must be at least 1, got {args.nodes}")
    policy = FleetPolicy(
        min_azs=args.min_azs, max_pool_share=args.max_pool_share, min_on_demand_share=args.on_demand_share
    )
    inputs, result = _ranked(args)
    fleet = plan_fleet(result, args.nodes, policy)
    ages = _ages(args, inputs, result.at)
    fleet = dataclasses.replace(fleet, reasons=(*fleet.reasons, *ages))
    return render.plan(result, fleet, inputs.describe(), args.format)


def run_backtest_command(args: argparse.Namespace) -> str:
    requirements = _requirements(args)
    inputs = load_spot_inputs(args.region, args.prices, args.advisor)
    first, last = inputs.history.first_time(), inputs.history.last_time()
    assert first is not None and last is not None  # load_spot_inputs refuses an empty history
    start = parse_time(args.start, "--start") if args.start else first + 7 * DAY
    end = parse_time(args.end, "--end") if args.end else last
    if end <= start:
        raise InvalidArgumentError(
            "--end must be after --start (and the data must cover more than a week when --start is not given)"
        )
    settings = BacktestSettings(nodes=args.nodes, start=start, end=end, rebalance_hours=args.rebalance_hours)
    selector = get_selector(args.policy, _policy_options(args, inputs, settings))
    try:
        result = run_backtest(
            args.policy,
            selector,
            inputs.history,
            inputs.catalog,
            inputs.on_demand,
            inputs.advisor,
            requirements,
            settings,
        )
    except ValueError as exc:
        raise NoPoolFitsError(str(exc)) from exc
    return render.backtest(result, settings, args.region, args.format)


def _policy_options(args: argparse.Namespace, inputs: SpotInputs, settings: BacktestSettings) -> dict[str, Any]:
    options: dict[str, Any] = {"on_demand_share": args.on_demand_share}
    model = _model(args)
    if args.policy == "model" and model is None:
        raise InvalidArgumentError("--policy model needs --model DIR")
    if model is not None:
        if args.policy != "model":
            raise InvalidArgumentError(f"--model is used by --policy model only, not --policy {args.policy}")
        step = int(settings.rebalance_hours * 3600)
        times = list(range(settings.start, settings.end, step))  # the backtest's rebalance moments
        options["probabilities"] = model.probabilities_over(inputs.history, inputs.on_demand, inputs.advisor, times)
        options["model"] = model.name
    return options


def _describe(requirements: Requirements) -> str:
    text = f"{requirements.vcpus:g} vCPUs / {requirements.memory_gib:g} GiB"
    return text + (f" ({requirements.arch})" if requirements.arch else "")
