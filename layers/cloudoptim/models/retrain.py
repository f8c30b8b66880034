"""Scheduled retraining: train on the freshest prices (the shipped history topped up with every scraped price in the
archive), store the result as a candidate, and judge it against the active model on the newest held-out window.

The newest held-out window is the new model's own test split: the last ~20% of the data, after a 12-hour gap, that
neither its trees nor its threshold saw (ml.train.split_bounds). Both models score the same samples there; the
metric is ROC AUC (choices rank pools by risk, so ranking is what matters) and the candidate must beat the active
model by PROMOTION_MARGIN. With no model active, the bar is the best simple rule (ml.baselines) on the same window.

Nothing here promotes: the RetrainModel state machine validates the candidate through ValidateModel and activates
it (action "promote") only when `beats` is true and validation passed; otherwise it stays a candidate with the
comparison on its record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from cloudoptim.models import registry
from cloudoptim.models.registry import RegistryDeps
from cloudoptim.pricing.ports import SpotPoint
from engines.spot.model import OnDemandPrices, PoolKey, PriceHistory, PriceSeries, SpotAdvisor
from ml.artifact import artifact_files, iso
from ml.evaluate import evaluate_model
from ml.inference import model_from_files
from ml.pricebook import Floats
from ml.train import TrainSettings, train_model

PROMOTION_MARGIN = 0.005  # AUC: below this the difference is within week-to-week noise of the test window
ACTOR = "schedule:retrain"
DAY = 86400


class SpotArchive(Protocol):
    """The archive of every scraped Spot price (cloudoptim.pricing.ports.PriceArchive, read side only)."""

    def spot(self, region: str, start: int, end: int) -> list[SpotPoint]: ...


@dataclass(frozen=True)
class RetrainInputs:
    """What one region's retraining reads: the shipped prices and lists, the archive of scraped prices, the golden
    set every model records its scores of."""

    shipped: PriceHistory | None
    on_demand: OnDemandPrices
    advisor: SpotAdvisor
    archive: SpotArchive
    golden: Floats


@dataclass(frozen=True)
class RetrainSettings:
    region: str
    window_days: int = 90  # the newest this many days of prices are trained on
    # a 6-hour grid: about the hourly grid's test AUC in a fifth of the time (docs/model-card.md)
    train: TrainSettings = field(default_factory=lambda: TrainSettings(grid_hours=6.0))


@dataclass(frozen=True)
class Retrained:
    model_id: str
    beats: bool
    comparison: str

    def as_dict(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "beats": self.beats, "comparison": self.comparison}


def merged_history(region: str, shipped: PriceHistory | None, scraped: Sequence[SpotPoint]) -> PriceHistory:
    """Shipped and scraped prices of a region as one history (scraped points win on equal times). The scraper archives
    AZ IDs; shipped zone names are mapped to IDs where the shipped data knows them, else kept as their own pools (the
    newest window then holds only scraped prices once the archive spans it)."""
    points: dict[PoolKey, dict[int, float]] = {}
    if shipped is not None:
        for key, series in shipped.series.items():
            zone = shipped.az_ids.get(key.availability_zone, key.availability_zone)
            found = points.setdefault(PoolKey(key.instance_type, zone), {})
            found.update(zip(series.times.tolist(), series.prices.tolist(), strict=True))
    for point in scraped:
        points.setdefault(PoolKey(point.instance_type, point.zone), {})[point.at] = point.price
    merged = {key: PriceSeries.from_points(found.items()) for key, found in points.items() if found}
    return PriceHistory(region, merged, {key.availability_zone: key.availability_zone for key in merged})


def retrain(deps: RegistryDeps, inputs: RetrainInputs, settings: RetrainSettings, now: int) -> Retrained:
    """Train, store as an `uploaded` candidate, record the comparison; ValueError when the data cannot train."""
    span = settings.window_days * DAY
    scraped = inputs.archive.spot(settings.region, now - span, now + 1)
    merged = merged_history(settings.region, inputs.shipped, scraped)
    newest = merged.last_time()
    if newest is None:
        raise ValueError(f"no prices for {settings.region}: neither shipped nor scraped")
    history = newest_window(merged, int(newest) - span)  # the newest window_days of whatever is known
    sources = {"prices": f"shipped + {len(scraped)} archived points", "advisor_snapshot": inputs.advisor.snapshot}
    trained = train_model(history, inputs.on_demand, inputs.advisor, settings.train, sources=sources)
    best = trained.metadata.params["best_iteration"]
    text = trained.booster.model_to_string(num_iteration=best)
    golden = np.asarray(trained.booster.predict(inputs.golden, num_iteration=best), dtype=np.float64)
    metadata = trained.metadata.model_copy(update={"golden_scores": [round(float(s), 12) for s in golden]})
    files = artifact_files(text, metadata)
    day = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d")
    record = registry.upload(deps, f"retrained-{settings.region}-{day}", files, ACTOR, now)

    test_start, test_end = metadata.split.epochs("test")
    candidate = evaluate_model(model_from_files(files, record.id), history, inputs.on_demand, inputs.advisor,
                               test_start, test_end)  # fmt: skip
    active_id = deps.store.load().active
    if active_id is not None:
        active = model_from_files(deps.artifacts.get(active_id), active_id)
        bar_name = f"active model {active_id}"
        bar = evaluate_model(active, history, inputs.on_demand, inputs.advisor, test_start, test_end)["auc"]
    else:
        rules = {name: scores["auc"] for name, scores in candidate["baselines"].items() if scores["auc"] is not None}
        bar_name = f"the heuristic's best rule ({max(rules, key=lambda n: rules[n])})" if rules else "no rule"
        bar = max(rules.values()) if rules else None
    ours = candidate["auc"]
    beats = ours is not None and (bar is None or ours >= bar + PROMOTION_MARGIN)
    verdict = "promote once validated" if beats else "kept as a candidate"
    comparison = (
        f"newest held-out window {iso(test_start)}..{iso(test_end)} ({candidate['n']} samples, "
        f"{candidate['positives']} rises): AUC {ours} vs {bar_name} {bar}, margin {PROMOTION_MARGIN}: {verdict}"
    )
    registry.note_evaluation(deps, record.id, comparison)
    return Retrained(record.id, beats, comparison)


def newest_window(history: PriceHistory, since: int) -> PriceHistory:
    """The prices from `since` on, every pool starting at `since` with the price in force then: a pool whose price
    last changed long before (the shipped Day-Zero days, a quiet pool) must not stretch the training grid back to
    that change, where nothing moves and no sample is unstable."""
    kept = {}
    for key, series in history.series.items():
        first = max(int(np.searchsorted(series.times, since, side="right")) - 1, 0)
        if first < len(series.times):
            times = series.times[first:].copy()
            times[0] = max(int(times[0]), since)
            kept[key] = PriceSeries(times, series.prices[first:])
    return PriceHistory(history.region, kept, dict(history.az_ids))
