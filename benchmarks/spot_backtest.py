"""Backtest the selection policies on eu-west-1, Dec 2021 - Mar 2022, over ten node shapes, and print a table.

Goals: `yield` saves at least 60% against On-Demand and has fewer instability events per 1000 node-hours than
`cheapest`. The advisor snapshot is 2021-02-10, the newest published before the window (no look-ahead).
Savings are shown against the same instances On-Demand and against the cheapest On-Demand fit (decision 17).
Run: .venv/bin/python benchmarks/spot_backtest.py [--nodes 20] [--rebalance-hours 24] [--allow-previous-generation]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "layers")]

from benchmarks._shared import ADVISOR_2021, EU_WEST_1_90D, require, timed  # noqa: E402
from cloudoptim.adapters.day_zero import CATALOG_FILE, ON_DEMAND_FILE, shipped_data_dir  # noqa: E402
from cloudoptim.adapters.reference_data import load_catalog, load_on_demand, load_spot_advisor  # noqa: E402
from cloudoptim.adapters.spot_prices import load_price_history  # noqa: E402
from engines.spot.backtest import BacktestResult, BacktestSettings, get_selector, run_backtest  # noqa: E402
from engines.spot.requirements import Requirements  # noqa: E402

DAY = 86400
POLICIES: list[tuple[str, dict[str, float]]] = [
    ("yield", {}),
    ("yield", {"on_demand_share": 0.15}),
    ("cheapest", {}),
    ("lowest-advisor-risk", {}),
]
SHAPES = [
    (2, 4, "x86_64"),
    (2, 8, "x86_64"),
    (4, 8, "x86_64"),
    (4, 16, "x86_64"),
    (8, 16, "x86_64"),
    (8, 32, "x86_64"),
    (8, 64, "x86_64"),
    (16, 64, "x86_64"),
    (32, 128, "x86_64"),
    (4, 16, "arm64"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--rebalance-hours", type=float, default=24)
    parser.add_argument("--allow-previous-generation", action="store_true")
    args = parser.parse_args()
    require(EU_WEST_1_90D, ADVISOR_2021)
    data = shipped_data_dir()
    history = load_price_history([EU_WEST_1_90D], "eu-west-1")["eu-west-1"]
    catalog = load_catalog(data / CATALOG_FILE)
    on_demand = load_on_demand(data / ON_DEMAND_FILE)
    advisor = load_spot_advisor(ADVISOR_2021)
    first, last = history.first_time(), history.last_time()
    assert first is not None and last is not None
    settings = BacktestSettings(nodes=args.nodes, start=first + 7 * DAY, end=last, rebalance_hours=args.rebalance_hours)
    print(
        f"backtest: eu-west-1, {args.nodes} nodes, rebalance every {args.rebalance_hours:g} h, "
        f"{(settings.end - settings.start) / DAY:.1f} days, advisor {advisor.snapshot}, previous generation "
        f"{'allowed' if args.allow_previous_generation else 'excluded'}"
    )
    header = (
        f"{'shape':14} {'policy':20} {'save %':>7} {'vs fit %':>8} {'events':>6} {'/1000 nh':>9} "
        f"{'nodes hit':>9} {'pools':>5} {'s':>5}"
    )
    print(header)
    print("-" * len(header))
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0] * 6)
    for vcpus, memory, arch in SHAPES:
        requirements = Requirements(
            vcpus=vcpus,
            memory_gib=memory,
            arch=arch,
            allow_previous_generation=args.allow_previous_generation,
        )
        for name, options in POLICIES:
            result, seconds = timed(
                lambda name=name, options=options, req=requirements: run_backtest(  # type: ignore[misc]
                    name, get_selector(name, options), history, catalog, on_demand, advisor, req, settings
                )
            )
            label = _label(name, options)
            print(f"{f'{vcpus}/{memory} {arch}':14} {label:20} {_cells(result)} {result.pools_used:5d} {seconds:5.1f}")
            _add(totals[label], result)
    print("-" * len(header))
    for label, t in totals.items():
        print(
            f"{'ALL SHAPES':14} {label:20} {100 * (1 - t[2] / t[1]):7.2f} {100 * (1 - t[2] / t[3]):8.2f} "
            f"{int(t[4]):6d} {1000 * t[4] / t[0]:9.4f} {int(t[5]):9d}"
        )


def _label(name: str, options: dict[str, float]) -> str:
    share = options.get("on_demand_share")
    return f"{name} +{share:.0%} OD" if share else name


def _cells(r: BacktestResult) -> str:
    return (
        f"{r.savings_pct:7.2f} {r.savings_vs_cheapest_fit_pct:8.2f} {r.instability_events:6d} "
        f"{r.events_per_1000_node_hours:9.4f} {r.nodes_hit_by_instability:9d}"
    )


def _add(t: list[float], r: BacktestResult) -> None:
    for i, value in enumerate(
        (
            r.node_hours,
            r.on_demand_cost,
            r.spot_cost,
            r.cheapest_fit_on_demand_cost,
            r.instability_events,
            r.nodes_hit_by_instability,
        )
    ):
        t[i] += value


if __name__ == "__main__":
    main()
