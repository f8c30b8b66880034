"""Train the interruption-risk model: temporal split, LightGBM, threshold tuned on validation, test metrics.

Split by sample time, in order, with a TARGET_HORIZON gap between parts so no label of one part reads prices
of the next: train [start, a), validation [a + 12 h, b), test [b + 12 h, end).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from engines.spot.model import OnDemandPrices, PriceHistory, SpotAdvisor
from ml.artifact import ModelMetadata, SplitInfo, iso
from ml.baselines import BASELINES
from ml.contract import CONTRACT_VERSION, FEATURE_NAMES, TARGET_HORIZON, TARGET_RISE
from ml.dataset import Samples, build_samples, default_window, hourly_grid
from ml.features import pool_inputs
from ml.metrics import best_f1_threshold, evaluate_scores
from ml.pricebook import Floats, PriceBook

Progress = Callable[[str, float], None]


def _quiet(stage: str, fraction: float) -> None:
    """The default progress sink: say nothing."""


class TrainSettings(BaseModel):
    """Hyper-parameters (the seed's regularised starting point) and the split."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_depth: int = 5
    num_leaves: int = 20
    learning_rate: float = 0.03
    feature_fraction: float = 0.7
    min_child_samples: int = 50
    lambda_l2: float = 1.0
    max_rounds: int = Field(400, ge=1)
    early_stopping_rounds: int = Field(40, ge=1)
    grid_hours: float = Field(1.0, gt=0, description="sample every pool every this many hours")
    train_share: float = Field(0.6, gt=0, lt=1)
    validation_share: float = Field(0.2, gt=0, lt=1)
    threads: int = Field(2, ge=1)
    seed: int = 0

    def lightgbm_params(self) -> dict[str, Any]:
        return {
            "objective": "binary",
            "metric": ["auc", "binary_logloss"],
            "first_metric_only": True,
            "max_depth": self.max_depth,
            "num_leaves": self.num_leaves,
            "learning_rate": self.learning_rate,
            "feature_fraction": self.feature_fraction,
            "min_child_samples": self.min_child_samples,
            "lambda_l2": self.lambda_l2,
            "num_threads": self.threads,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }


@dataclass(frozen=True)
class TrainedModel:
    booster: lgb.Booster
    metadata: ModelMetadata


def split_bounds(start: int, end: int, settings: TrainSettings) -> SplitInfo:
    span = end - start
    a = start + int(span * settings.train_share)
    b = start + int(span * (settings.train_share + settings.validation_share))
    if not (a + TARGET_HORIZON < b and b + TARGET_HORIZON < end):
        raise ValueError("the data is too short for a train / validation / test split")
    return SplitInfo(
        train=(iso(start), iso(a)),
        validation=(iso(a + TARGET_HORIZON), iso(b)),
        test=(iso(b + TARGET_HORIZON), iso(end)),
    )


def train_model(
    history: PriceHistory,
    on_demand: OnDemandPrices,
    advisor: SpotAdvisor,
    settings: TrainSettings | None = None,
    progress: Progress = _quiet,
    sources: dict[str, str] | None = None,
) -> TrainedModel:
    """Train on `history`; raises ValueError when the data cannot support a split with both classes."""
    settings = settings or TrainSettings()
    book = PriceBook(pool_inputs(history, on_demand, advisor))
    if not book.pools:
        raise ValueError(f"no price history for {history.region}")
    start, end = default_window(book)
    split = split_bounds(start, end, settings)
    progress("building features", 0.0)
    samples = build_samples(book, hourly_grid(start, end, settings.grid_hours), int(book.times.max()))
    parts = {name: samples.between(*split.epochs(name)) for name in ("train", "validation", "test")}
    for name, part in parts.items():
        if part.y.sum() == 0 or part.y.sum() == len(part):
            raise ValueError(f"the {name} period holds {int(part.y.sum())} unstable of {len(part)} samples: need both")
    progress("building features", 1.0)
    booster = _fit(parts["train"], parts["validation"], settings, progress)
    return TrainedModel(booster, _metadata(booster, parts, split, settings, history.region, sources or {}))


def _fit(train: Samples, validation: Samples, settings: TrainSettings, progress: Progress) -> lgb.Booster:
    names = list(FEATURE_NAMES)
    train_set = lgb.Dataset(train.x, train.y, feature_name=names, free_raw_data=True)
    valid_set = lgb.Dataset(validation.x, validation.y, feature_name=names, reference=train_set)

    def report(env: Any) -> None:  # LightGBM's callback environment
        if env.iteration % 10 == 0:
            progress("training", env.iteration / settings.max_rounds)

    booster = lgb.train(
        settings.lightgbm_params(),
        train_set,
        num_boost_round=settings.max_rounds,
        valid_sets=[valid_set],
        valid_names=["validation"],
        callbacks=[lgb.early_stopping(settings.early_stopping_rounds, verbose=False), report],
    )
    progress("training", 1.0)
    return booster


def _metadata(
    booster: lgb.Booster,
    parts: dict[str, Samples],
    split: SplitInfo,
    settings: TrainSettings,
    region: str,
    sources: dict[str, str],
) -> ModelMetadata:
    validation, test = parts["validation"], parts["test"]
    best = booster.best_iteration or booster.current_iteration()

    def predict(samples: Samples) -> Floats:
        return np.asarray(booster.predict(samples.x, num_iteration=best), dtype=np.float64)

    threshold = best_f1_threshold(validation.y, predict(validation))
    metrics = {
        "validation": evaluate_scores(validation.y, predict(validation), threshold),
        "test": evaluate_scores(test.y, predict(test), threshold),
    }
    baseline_thresholds, baseline_metrics = {}, {}
    for name, rule in BASELINES.items():
        baseline_thresholds[name] = best_f1_threshold(validation.y, rule(validation.x))
        baseline_metrics[name] = evaluate_scores(test.y, rule(test.x), baseline_thresholds[name]).as_dict()
    return ModelMetadata(
        contract_version=CONTRACT_VERSION,
        feature_names=list(FEATURE_NAMES),
        threshold=threshold,
        region=region,
        trained_until=split.validation[1],  # the last price that shaped the trees or the threshold
        target={"rise": TARGET_RISE, "horizon_hours": TARGET_HORIZON / 3600},
        split=split,
        samples={name: {"n": len(p), "positives": int(p.y.sum())} for name, p in parts.items()},
        metrics={name: m.as_dict() for name, m in metrics.items()},
        baselines=baseline_metrics,
        baseline_thresholds=baseline_thresholds,
        params={**settings.model_dump(), "best_iteration": best},
        lightgbm_version=lgb.__version__,
        sources=sources,
        model_sha256="",  # set when written
    )
