"""`cloudoptim ml train|evaluate`: the interruption-risk model offline (spec S8). Progress goes to stderr."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli.timeparse import parse_time
from cloudoptim.adapters.day_zero import ON_DEMAND_FILE, SPOT_ADVISOR_FILE, shipped_data_dir
from cloudoptim.adapters.reference_data import load_on_demand, load_spot_advisor
from cloudoptim.adapters.spot_prices import load_price_history
from cloudoptim.errors import InvalidArgumentError, UnknownRegionError
from engines.spot.model import OnDemandPrices, PriceHistory, SpotAdvisor

# The ml modules import LightGBM (the optional `ml` extra), so they are imported by the commands that use them:
# `cloudoptim spot ...` keeps working without it.

_BAR = 30


def add_commands(areas: Any) -> None:
    ml = areas.add_parser("ml", help="interruption-risk model: train, evaluate")
    commands = ml.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser("train", help="train on Spot price history and write a model directory")
    _data_options(train)
    train.add_argument("--out", required=True, metavar="DIR", help="directory for model.txt and metadata.json")
    train.add_argument("--grid-hours", type=float, default=1.0, help="sample every pool every N hours (default 1)")
    train.add_argument("--max-rounds", type=int, default=400, help="boosting rounds at most (default 400)")
    train.add_argument("--threads", type=int, default=2)
    train.add_argument("--format", choices=["table", "json"], default="table")
    train.set_defaults(run=run_train)
    evaluate = commands.add_parser("evaluate", help="score a model and the baselines on a time window")
    evaluate.add_argument("--model", required=True, metavar="DIR")
    _data_options(evaluate)
    evaluate.add_argument("--start", help="ISO-8601: first sample time (default: a week after the first price)")
    evaluate.add_argument("--end", help="ISO-8601: samples before this (default: 12 h before the last price)")
    evaluate.add_argument("--format", choices=["table", "json"], default="table")
    evaluate.set_defaults(run=run_evaluate)


def _data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prices", nargs="+", required=True, metavar="PATH", help="Spot price history files")
    parser.add_argument("--advisor", metavar="PATH", help="Spot Advisor JSON (default: shipped snapshot)")
    parser.add_argument("--region", help="region to use (default: the only one in the files, or the model's)")


def _inputs(args: argparse.Namespace, region: str | None) -> tuple[PriceHistory, OnDemandPrices, SpotAdvisor]:
    histories = load_price_history([Path(p) for p in args.prices], region)
    if region is None:
        if len(histories) != 1:
            found = ", ".join(sorted(histories)) or "none"
            raise InvalidArgumentError(f"the price files cover regions {found}: choose one with --region")
        region = next(iter(histories))
    history = histories.get(region)
    if history is None or not history.series:
        raise UnknownRegionError(f"no Linux spot prices for region {region} in the given files")
    data = shipped_data_dir()
    advisor = load_spot_advisor(Path(args.advisor) if args.advisor else data / SPOT_ADVISOR_FILE)
    return history, load_on_demand(data / ON_DEMAND_FILE), advisor


def _progress(stage: str, fraction: float) -> None:
    done = int(_BAR * min(max(fraction, 0.0), 1.0))
    end = "\n" if fraction >= 1.0 else ""
    print(f"\r{stage:20} [{'#' * done}{' ' * (_BAR - done)}] {fraction:4.0%}", end=end, file=sys.stderr, flush=True)


def run_train(args: argparse.Namespace) -> str:
    if args.grid_hours <= 0 or args.max_rounds < 1 or args.threads < 1:
        raise InvalidArgumentError("--grid-hours must be > 0, --max-rounds and --threads at least 1")
    from ml.artifact import save_artifact
    from ml.train import TrainSettings, train_model

    history, on_demand, advisor = _inputs(args, args.region)
    settings = TrainSettings(grid_hours=args.grid_hours, max_rounds=args.max_rounds, threads=args.threads)
    sources = {"prices": ", ".join(Path(p).name for p in args.prices), "advisor_snapshot": advisor.snapshot}
    _progress("loading prices", 1.0)
    try:
        model = train_model(history, on_demand, advisor, settings, _progress, sources)
    except ValueError as exc:
        raise InvalidArgumentError(f"cannot train on these prices: {exc}") from None
    best = model.metadata.params["best_iteration"]
    out = save_artifact(Path(args.out), model.booster.model_to_string(num_iteration=best), model.metadata)
    summary = {
        "model": str(out),
        "region": model.metadata.region,
        "trained_until": model.metadata.trained_until,
        "threshold": round(model.metadata.threshold, 6),
        "samples": model.metadata.samples,
        "test": model.metadata.metrics["test"],
        "baselines": model.metadata.baselines,
    }
    if args.format == "json":
        return json.dumps(summary, indent=2)
    split = model.metadata.split
    lines = [
        f"model written to {out} ({model.metadata.region}, {best} trees, threshold {model.metadata.threshold:.4f})",
        f"split: train {split.train[0]}..{split.train[1]}, validation {split.validation[0]}..{split.validation[1]}, "
        f"test {split.test[0]}..{split.test[1]}",
        "",
    ]
    return "\n".join(lines + _metrics_table(model.metadata.metrics["test"], model.metadata.baselines))


def run_evaluate(args: argparse.Namespace) -> str:
    from ml.evaluate import evaluate_model
    from ml.inference import load_model

    model = load_model(Path(args.model))
    history, on_demand, advisor = _inputs(args, args.region or model.metadata.region)
    start = parse_time(args.start, "--start") if args.start else None
    end = parse_time(args.end, "--end") if args.end else None
    if start is not None and end is not None and end <= start:
        raise InvalidArgumentError("--end must be after --start")
    try:
        result = evaluate_model(model, history, on_demand, advisor, start, end)
    except ValueError as exc:
        raise InvalidArgumentError(str(exc)) from None
    if args.format == "json":
        return json.dumps(result, indent=2)
    head = f"{result['n']} samples, {result['positives']} unstable, threshold {result['threshold']:.4f}"
    return "\n".join([head, "", *_metrics_table(result, result["baselines"])])


def _metrics_table(model: dict[str, Any], baselines: dict[str, dict[str, float | None]]) -> list[str]:
    rows = [("model", model), *((f"baseline: {name}", m) for name, m in baselines.items())]
    lines = [f"{'scorer':28} {'AUC':>6} {'prec':>6} {'recall':>6} {'F1':>6}"]
    for name, m in rows:
        cells = " ".join("   n/a" if m[k] is None else f"{m[k]:6.3f}" for k in ("auc", "precision", "recall", "f1"))
        lines.append(f"{name:28} {cells}")
    return lines
