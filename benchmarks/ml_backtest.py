"""Backtest `--policy model` against `yield` and `cheapest` on eu-west-1, Dec 2021 - Mar 2022.

The headline window is the model's test period (out of sample: nothing after `trained_until` shaped the model);
`--window full` replays the whole 90 days, most of which the model was trained on (in-sample, for reference).
The advisor snapshot is 2021-02-10, the newest published before the data (no look-ahead).
Run: .venv/bin/python benchmarks/ml_backtest.py [--model DIR] [--window test|full] [--nodes 20]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "layers")]

from benchmarks._shared import ADVISOR_2021, EU_WEST_1_90D, ROOT, require, timed  # noqa: E402
from cloudoptim.adapters.day_zero import CATALOG_FILE, ON_DEMAND_FILE, shipped_data_dir  # noqa: E402
from cloudoptim.adapters.reference_data import load_catalog, load_on_demand, load_spot_advisor  # noqa: E402
from cloudoptim.adapters.spot_prices import load_price_history  # noqa: E402
from engines.spot.backtest import BacktestResult, BacktestSettings, get_selector, run_backtest  # noqa: E402
from engines.spot.requirements import Requirements  # noqa: E402
from ml.inference import load_model  # noqa: E402

DAY = 86400
SHIPPED_MODEL = ROOT / "layers" / "cloudoptim" / "data" / "models" / "eu-west-1-2022q1"
SHAPES = [(2, 4), (2, 8), (4, 8), (4, 16), (8, 16), (8, 32), (8, 64), (16, 64), (32, 128)]
POLICIES = ("yield", "cheapest", "lowest-advisor-risk", "model")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL)
    parser.add_argument("--window", choices=["test", "full"], default="test")
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--rebalance-hours", type=float, default=24)
    args = parser.parse_args()
    require(EU_WEST_1_90D, ADVISOR_2021, args.model)
    data = shipped_data_dir()
    history = load_price_history([EU_WEST_1_90D], "eu-west-1")["eu-west-1"]
    catalog, on_demand = load_catalog(data / CATALOG_FILE), load_on_demand(data / ON_DEMAND_FILE)
    advisor = load_spot_advisor(ADVISOR_2021)
    model = load_model(args.model)
    first, last = history.first_time(), history.last_time()
    assert first is not None and last is not None
    start, end = model.metadata.split.epochs("test") if args.window == "test" else (first + 7 * DAY, last)
    settings = BacktestSettings(nodes=args.nodes, start=start, end=end, rebalance_hours=args.rebalance_hours)
    times = list(range(start, end, int(args.rebalance_hours * 3600)))
    probabilities, seconds = timed(lambda: model.probabilities_over(history, on_demand, advisor, times))
    print(
        f"backtest: eu-west-1 {args.window} window ({(end - start) / DAY:.1f} days), {args.nodes} nodes, rebalance "
        f"every {args.rebalance_hours:g} h, model {model.name} scored {len(times)} moments in {seconds:.1f} s"
    )
    header = f"{'shape':10} {'policy':20} {'save %':>7} {'vs fit %':>8} {'events':>6} {'/1000 nh':>9} {'pools':>5}"
    print(header + "\n" + "-" * len(header))
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0] * 5)
    options: dict[str, Any] = {"probabilities": probabilities, "model": model.name}
    for vcpus, memory in SHAPES:
        requirements = Requirements(vcpus=vcpus, memory_gib=memory)
        for name in POLICIES:
            selector = get_selector(name, options if name == "model" else {})
            result = run_backtest(name, selector, history, catalog, on_demand, advisor, requirements, settings)
            print(f"{f'{vcpus}/{memory}':10} {name:20} {_cells(result)} {result.pools_used:5d}")
            for i, v in enumerate(
                (result.node_hours, result.on_demand_cost, result.spot_cost, result.cheapest_fit_on_demand_cost)
            ):
                totals[name][i] += v
            totals[name][4] += result.instability_events
    print("-" * len(header))
    for name, t in totals.items():
        print(
            f"{'ALL':10} {name:20} {100 * (1 - t[2] / t[1]):7.2f} {100 * (1 - t[2] / t[3]):8.2f} {int(t[4]):6d} "
            f"{1000 * t[4] / t[0]:9.4f}"
        )


def _cells(r: BacktestResult) -> str:
    return (
        f"{r.savings_pct:7.2f} {r.savings_vs_cheapest_fit_pct:8.2f} {r.instability_events:6d} "
        f"{r.events_per_1000_node_hours:9.4f}"
    )


if __name__ == "__main__":
    main()
