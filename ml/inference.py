"""The active model at run time: load a checked artifact, score pools. Needs numpy and lightgbm only.

Use: `load_model(Path("layers/cloudoptim/data/models/eu-west-1-2022q1")).probabilities(history, on_demand,
advisor, at)` gives `{PoolKey('m5.large', 'eu-west-1a'): 0.004, ...}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np

from engines.spot.model import OnDemandPrices, PoolKey, PriceHistory, SpotAdvisor
from ml.artifact import ModelArtifactError, ModelMetadata, check_files, read_artifact
from ml.features import feature_tensor, pool_inputs, priced
from ml.pricebook import Floats, PriceBook


@dataclass(frozen=True, eq=False)
class RiskModel:
    """A loaded model: P(pool becomes unstable within 12 h) from features in contract order."""

    booster: lgb.Booster
    metadata: ModelMetadata
    source: str

    @property
    def name(self) -> str:
        return Path(self.source).name

    def predict(self, x: Floats) -> Floats:
        if x.shape[0] == 0:
            return np.zeros(0)
        return np.asarray(self.booster.predict(x), dtype=np.float64)

    def probabilities(
        self, history: PriceHistory, on_demand: OnDemandPrices, advisor: SpotAdvisor, at: int
    ) -> dict[PoolKey, float]:
        """Every pool priced at `at`, scored from prices up to `at`."""
        return self.probabilities_over(history, on_demand, advisor, [at])[at]

    def probabilities_over(
        self, history: PriceHistory, on_demand: OnDemandPrices, advisor: SpotAdvisor, times: Sequence[int]
    ) -> dict[int, dict[PoolKey, float]]:
        """Scores at several moments in one pass (e.g. every rebalance of a backtest)."""
        return score_book(self, PriceBook(pool_inputs(history, on_demand, advisor)), times)


def score_book(model: RiskModel, book: PriceBook, times: Sequence[int]) -> dict[int, dict[PoolKey, float]]:
    grid = np.asarray(list(times), dtype=np.int64)
    tensor = feature_tensor(book, grid)
    cells = priced(tensor)
    scores = np.full(cells.shape, np.nan)
    scores[cells] = model.predict(tensor[cells])
    result: dict[int, dict[PoolKey, float]] = {}
    for column, at in enumerate(grid.tolist()):
        rows = np.nonzero(cells[:, column])[0]
        result[at] = {book.pools[r].key: float(scores[r, column]) for r in rows.tolist()}
    return result


def load_model(directory: Path) -> RiskModel:
    """Load and check an artifact directory; ModelArtifactError (one line) when it cannot be used."""
    text, metadata = read_artifact(directory)
    return _booster(text, metadata, directory)


def model_from_files(files: Mapping[str, bytes], source: str) -> RiskModel:
    """The same checks and loading for an artifact held in memory (the registry's S3 copy); `source` names it."""
    text, metadata = check_files(files, source)
    return _booster(text, metadata, Path(source))


def _booster(text: str, metadata: ModelMetadata, directory: Path) -> RiskModel:
    try:
        booster = lgb.Booster(model_str=text)
    except lgb.basic.LightGBMError as exc:
        raise ModelArtifactError(f"{directory}: LightGBM cannot read the model ({exc})") from None
    if booster.num_feature() != len(metadata.feature_names):
        raise ModelArtifactError(f"{directory}: the model reads {booster.num_feature()} features, metadata lists more")
    return RiskModel(booster, metadata, str(directory))
