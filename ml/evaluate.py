"""Evaluate a model on a time window: the model and the baselines, at the thresholds fixed in training."""

from __future__ import annotations

from typing import Any

import numpy as np

from engines.spot.model import OnDemandPrices, PriceHistory, SpotAdvisor
from ml.baselines import BASELINES
from ml.dataset import build_samples, default_window, hourly_grid
from ml.features import pool_inputs
from ml.inference import RiskModel
from ml.metrics import evaluate_scores
from ml.pricebook import PriceBook


def evaluate_model(
    model: RiskModel,
    history: PriceHistory,
    on_demand: OnDemandPrices,
    advisor: SpotAdvisor,
    start: int | None = None,
    end: int | None = None,
) -> dict[str, Any]:
    """Samples with t in [start, end) (earlier prices serve as history); ValueError when there are none."""
    book = PriceBook(pool_inputs(history, on_demand, advisor))
    if not book.pools:
        raise ValueError(f"no price history for {history.region}")
    first, last = default_window(book)
    window_start = first if start is None else start
    window_end = last if end is None else min(end, last)
    samples = build_samples(book, hourly_grid(window_start, window_end), int(book.times.max()))
    if not len(samples):
        raise ValueError("no samples in that window (is it within the data, with 12 h of prices after it?)")
    threshold = model.metadata.threshold
    scores = evaluate_scores(samples.y, model.predict(samples.x), threshold)
    baselines = {
        name: evaluate_scores(samples.y, rule(samples.x), model.metadata.baseline_thresholds[name]).as_dict()
        for name, rule in BASELINES.items()
    }
    return {
        **scores.as_dict(),
        "threshold": round(threshold, 6),
        "n": len(samples),
        "positives": int(np.sum(samples.y)),
        "baselines": baselines,
    }
