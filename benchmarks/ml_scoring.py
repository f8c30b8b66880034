"""Scoring latency of the interruption-risk model: every eu-west-1 pool at one moment, after load.

Goal: under 200 ms for all pools (features from the price history + LightGBM predict). Prints figures only:
wall-clock and CPU time of this process (on a shared machine the CPU figure is the stable one).
Run: .venv/bin/python benchmarks/ml_scoring.py [--model DIR] [--repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "layers")]

from benchmarks._shared import ADVISOR_2021, EU_WEST_1_90D, ROOT, require, timed  # noqa: E402
from cloudoptim.adapters.day_zero import ON_DEMAND_FILE, shipped_data_dir  # noqa: E402
from cloudoptim.adapters.reference_data import load_on_demand, load_spot_advisor  # noqa: E402
from cloudoptim.adapters.spot_prices import load_price_history  # noqa: E402
from ml.features import feature_tensor, pool_inputs  # noqa: E402
from ml.inference import load_model  # noqa: E402
from ml.pricebook import PriceBook  # noqa: E402

SHIPPED_MODEL = ROOT / "layers" / "cloudoptim" / "data" / "models" / "eu-west-1-2022q1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    require(EU_WEST_1_90D, ADVISOR_2021, args.model)
    history = load_price_history([EU_WEST_1_90D], "eu-west-1")["eu-west-1"]
    on_demand = load_on_demand(shipped_data_dir() / ON_DEMAND_FILE)
    advisor = load_spot_advisor(ADVISOR_2021)
    model, load_seconds = timed(lambda: load_model(args.model))
    at = history.last_time()
    assert at is not None
    model.probabilities(history, on_demand, advisor, at)  # warm-up
    totals, books, features, predicts, cpu = [], [], [], [], []
    for _ in range(args.repeat):
        started = time.process_time()
        model.probabilities(history, on_demand, advisor, at)
        cpu.append(time.process_time() - started)
        scores, seconds = timed(lambda: model.probabilities(history, on_demand, advisor, at))
        totals.append(seconds)
        book, seconds = timed(lambda: PriceBook(pool_inputs(history, on_demand, advisor)))
        books.append(seconds)
        tensor, seconds = timed(lambda book=book: feature_tensor(book, np.array([at])))  # type: ignore[misc]
        features.append(seconds)
        rows = tensor[:, 0, :]
        start = time.perf_counter()
        model.predict(rows)
        predicts.append(time.perf_counter() - start)
    print(f"model {args.model.name}: {model.booster.num_trees()} trees, loaded in {1000 * load_seconds:.0f} ms")
    print(f"scoring {len(scores)} pools of {len(history.series)} (eu-west-1, {args.repeat} runs, after load):")
    for name, values in (
        ("total (probabilities)", totals),
        ("total, CPU time", cpu),
        ("  price book", books),
        ("  features", features),
        ("  LightGBM predict", predicts),
    ):
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(f"{name:24} median {1000 * statistics.median(values):7.1f} ms   p95 {1000 * p95:7.1f} ms")


if __name__ == "__main__":
    main()
