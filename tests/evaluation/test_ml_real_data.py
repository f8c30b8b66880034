"""The interruption-risk model on eu-west-1, Dec 2021 - Mar 2022 (skipped when ../shared/data is absent).

Regression guards for the model card: a quick retrain on a 6-hour grid still beats every baseline on the test
period, and the shipped model reproduces its recorded test metrics. Under a minute on two cores.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from cloudoptim.adapters.day_zero import ON_DEMAND_FILE, shipped_data_dir
from cloudoptim.adapters.reference_data import load_on_demand, load_spot_advisor
from cloudoptim.adapters.spot_prices import load_price_history
from engines.spot.model import OnDemandPrices, PriceHistory, SpotAdvisor
from ml.artifact import epoch
from ml.evaluate import evaluate_model
from ml.inference import load_model
from ml.train import TrainSettings, train_model

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
NINETY_DAYS = SHARED / "spot-price-history" / "eu-west-1" / "eu-west-1_90d_2021-12-13_to_2022-03-13.tsv.xz"
ADVISOR_2021 = SHARED / "spot-advisor" / "spot-advisor-data_2021-02-10_spotinfo.json"
SHIPPED_MODEL = ROOT / "layers" / "cloudoptim" / "data" / "models" / "eu-west-1-2022q1"

pytestmark = pytest.mark.evaluation


@cache
def inputs() -> tuple[PriceHistory, OnDemandPrices, SpotAdvisor]:
    if not (NINETY_DAYS.exists() and ADVISOR_2021.exists()):
        pytest.skip(f"../shared/data not found: {NINETY_DAYS} or {ADVISOR_2021}")
    history = load_price_history([NINETY_DAYS], "eu-west-1")["eu-west-1"]
    return history, load_on_demand(shipped_data_dir() / ON_DEMAND_FILE), load_spot_advisor(ADVISOR_2021)


def test_a_quick_retrain_beats_every_baseline_on_the_test_period() -> None:
    history, on_demand, advisor = inputs()
    settings = TrainSettings(grid_hours=6, max_rounds=80, early_stopping_rounds=20)
    metadata = train_model(history, on_demand, advisor, settings).metadata
    model_auc = metadata.metrics["test"]["auc"]
    assert model_auc is not None and model_auc > 0.9
    for name, baseline in metadata.baselines.items():
        assert baseline["auc"] is not None and model_auc > baseline["auc"], name
        assert metadata.metrics["test"]["f1"] > baseline["f1"], name  # type: ignore[operator]


def test_the_shipped_model_reproduces_its_recorded_test_metrics() -> None:
    history, on_demand, advisor = inputs()
    model = load_model(SHIPPED_MODEL)
    start, end = model.metadata.split.epochs("test")
    result = evaluate_model(model, history, on_demand, advisor, start, end)
    recorded = model.metadata.metrics["test"]
    assert result["n"] == model.metadata.samples["test"]["n"]
    assert result["auc"] == pytest.approx(recorded["auc"], abs=1e-3)
    assert result["f1"] == pytest.approx(recorded["f1"], abs=1e-3)
    assert epoch(model.metadata.trained_until) <= start  # nothing of the test period shaped the model


def test_the_shipped_model_scores_every_priced_pool() -> None:
    history, on_demand, advisor = inputs()
    model = load_model(SHIPPED_MODEL)
    at = history.last_time()
    assert at is not None
    scores = model.probabilities(history, on_demand, advisor, at)
    priced = {key for key, series in history.series.items() if series.price_at(at) is not None}
    assert set(scores) == priced
    assert all(0.0 <= p <= 1.0 for p in scores.values())
