"""Rank every eu-west-1 pool with a week of price history; load time and ranking time reported apart.

Goal: ranking answers in under 100 ms once the data is loaded.
Run: .venv/bin/python benchmarks/spot_rank.py
"""

from __future__ import annotations

import statistics
import sys
from functools import partial
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "layers")]

from benchmarks._shared import EU_WEST_1_90D, require, timed  # noqa: E402
from cloudoptim.adapters.day_zero import CATALOG_FILE, ON_DEMAND_FILE, SPOT_ADVISOR_FILE, shipped_data_dir  # noqa: E402
from cloudoptim.adapters.reference_data import load_catalog, load_on_demand, load_spot_advisor  # noqa: E402
from cloudoptim.adapters.spot_prices import load_price_history  # noqa: E402
from engines.spot.offerings import Offerings, build_offerings  # noqa: E402
from engines.spot.ranking import rank_pools  # noqa: E402
from engines.spot.requirements import Requirements  # noqa: E402
from engines.spot.risk import RiskStrategy, get_strategy  # noqa: E402

GOAL_MS = 100.0
RUNS = 25


def main() -> None:
    require(EU_WEST_1_90D)
    data = shipped_data_dir()
    histories, load_s = timed(lambda: load_price_history([EU_WEST_1_90D], "eu-west-1"))
    history = histories["eu-west-1"]
    catalog, ref_s = timed(lambda: load_catalog(data / CATALOG_FILE))
    on_demand = load_on_demand(data / ON_DEMAND_FILE)
    advisor = load_spot_advisor(data / SPOT_ADVISOR_FILE)
    at = history.last_time()
    assert at is not None
    strategy = get_strategy()
    everything = Requirements(vcpus=1, memory_gib=0.5, gpus=0)
    build_ms: list[float] = []
    rank_ms: list[float] = []
    score_all_ms: list[float] = []
    for _ in range(RUNS):
        offerings, b = timed(partial(build_offerings, history, catalog, on_demand, advisor, at))
        result, r = timed(partial(rank_pools, offerings, everything, strategy, at, "eu-west-1"))
        _, a = timed(partial(_score_all, strategy, offerings, at))
        build_ms.append(b * 1000)
        rank_ms.append(r * 1000)
        score_all_ms.append(a * 1000)
    total = [b + max(r, a) for b, r, a in zip(build_ms, rank_ms, score_all_ms, strict=True)]
    median = statistics.median(total)
    print("benchmark: spot rank over every eu-west-1 pool (7-day history window)")
    print(f"  price file load (90 days, {sum(len(s) for s in history.series.values()):,} Linux points): {load_s:.2f} s")
    print(f"  catalogue load: {ref_s * 1000:.1f} ms")
    print(
        f"  pools: {len(history.series)}; offerings at {at}: {len(offerings)}; ranked {len(result.pools)}, "
        f"rejected {len(result.rejected)}"
    )
    print(f"  build offerings (7-day stats): median {statistics.median(build_ms):.1f} ms")
    print(f"  risk + yield ranking:          median {statistics.median(rank_ms):.1f} ms")
    print(f"  risk score of every pool:      median {statistics.median(score_all_ms):.1f} ms (worst case)")
    p95 = sorted(total)[int(0.95 * RUNS)]
    print(f"  answer after load (offerings + worst-case scoring): median {median:.1f} ms, p95 {p95:.1f} ms")
    print(f"  goal {GOAL_MS:.0f} ms -> ratio {median / GOAL_MS:.2f} ({'MET' if median < GOAL_MS else 'MISSED'})")


def _score_all(strategy: RiskStrategy, offerings: Offerings, at: int) -> int:
    return len([strategy.score(o, at) for o in offerings])


if __name__ == "__main__":
    main()
