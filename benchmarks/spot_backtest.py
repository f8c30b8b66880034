"""Backtest the selection policies on eu-west-1, Dec 2021 - Mar 2022, and print a table.

Goals: `yield` saves at least 60% against On-Demand and has fewer instability events per 1000 node-hours
than `cheapest`. The advisor snapshot of 2021-02-10 is the newest one published before the window (no
look-ahead); the 2025 snapshot is shown too.
Run: .venv/bin/python benchmarks/spot_backtest.py [--nodes 20] [--vcpus 4] [--memory-gib 16]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "layers")]

from benchmarks._shared import ADVISOR_2021, ADVISOR_2025, EU_WEST_1_90D, require, timed  # noqa: E402
from cloudoptim.adapters.day_zero import shipped_data_dir  # noqa: E402
from cloudoptim.adapters.reference_data import load_catalog, load_on_demand, load_spot_advisor  # noqa: E402
from cloudoptim.adapters.spot_prices import load_price_history  # noqa: E402
from engines.spot.backtest import BacktestResult, BacktestSettings, get_selector, run_backtest  # noqa: E402
from engines.spot.requirements import Requirements  # noqa: E402

DAY = 86400
POLICIES = [("yield", {}), ("yield", {"on_demand_share": 0.15}), ("cheapest", {}), ("lowest-advisor-risk", {})]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--vcpus", type=float, default=4)
    parser.add_argument("--memory-gib", type=float, default=16)
    parser.add_argument("--rebalance-hours", type=float, default=24)
    args = parser.parse_args()
    require(EU_WEST_1_90D, ADVISOR_2021, ADVISOR_2025)
    data = shipped_data_dir()
    history = load_price_history([EU_WEST_1_90D], "eu-west-1")["eu-west-1"]
    catalog = load_catalog(data / "instance-catalog.csv")
    on_demand = load_on_demand([data / "on-demand-linux.csv"])
    first, last = history.first_time(), history.last_time()
    assert first is not None and last is not None
    settings = BacktestSettings(nodes=args.nodes, start=first + 7 * DAY, end=last, rebalance_hours=args.rebalance_hours)
    requirements = Requirements(vcpus=args.vcpus, memory_gib=args.memory_gib)
    print(f"backtest: eu-west-1, {args.nodes} nodes of >= {args.vcpus:g} vCPU / {args.memory_gib:g} GiB, "
          f"rebalance every {args.rebalance_hours:g} h, {(settings.end - settings.start) / DAY:.1f} days")
    header = f"{'advisor':10} {'policy':24} {'savings %':>9} {'events':>7} {'/1000 node-h':>12} {'nodes hit':>9} " \
             f"{'pools':>5} {'time s':>7}"
    print(header)
    print("-" * len(header))
    for advisor_path in (ADVISOR_2021, ADVISOR_2025):
        advisor = load_spot_advisor(advisor_path)
        for name, options in POLICIES:
            result, seconds = timed(lambda name=name, options=options, advisor=advisor: run_backtest(  # type: ignore[misc]
                name, get_selector(name, options), history, catalog, on_demand, advisor, requirements, settings))
            _row(advisor.snapshot, _label(name, options), result, seconds)


def _label(name: str, options: dict[str, float]) -> str:
    share = options.get("on_demand_share")
    return f"{name} (+{share:.0%} OD)" if share else name


def _row(snapshot: str, label: str, r: BacktestResult, seconds: float) -> None:
    print(f"{snapshot:10} {label:24} {r.savings_pct:9.2f} {r.instability_events:7d} "
          f"{r.events_per_1000_node_hours:12.3f} {r.nodes_hit_by_instability:9d} {r.pools_used:5d} {seconds:7.2f}")


if __name__ == "__main__":
    main()
