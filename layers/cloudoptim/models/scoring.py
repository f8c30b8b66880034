"""The registry's models at choice time: the active model's (and the shadow candidate's) probabilities per pool.

The registry document is re-read at most every STATE_TTL_SECONDS per container, so an activation or a rollback
reaches every warm Lambda within that time; loaded boosters and scores are kept per model id and price snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cloudoptim.adapters.day_zero import DayZeroData
from cloudoptim.interruptions.choose import ModelScores
from cloudoptim.models.ports import ArtifactStore, RegistryState, RegistryStore, ShadowEntry, ShadowLog
from ml.inference import RiskModel, model_from_files

STATE_TTL_SECONDS = 30
Loader = Callable[[Mapping[str, bytes], str], RiskModel]


@dataclass
class RegistryModels:
    """Implements the choice's `RiskModels` port from the registry, S3 artifacts and the shipped prices."""

    store: RegistryStore
    artifacts: ArtifactStore
    data: DayZeroData
    shadow_log: ShadowLog
    loader: Loader = model_from_files
    state_ttl: int = STATE_TTL_SECONDS
    _state: tuple[int, RegistryState] | None = None
    _models: dict[str, RiskModel] = field(default_factory=dict)
    _scores: dict[tuple[str, str, int], ModelScores] = field(default_factory=dict)

    def active(self, region: str, at: int, now: int) -> ModelScores | None:
        return self._scored(self._current(now).active, region, at)

    def shadow(self, region: str, at: int, now: int) -> ModelScores | None:
        return self._scored(self._current(now).shadow, region, at)

    def record_shadow(self, entry: ShadowEntry) -> None:
        self.shadow_log.record(entry)

    def _current(self, now: int) -> RegistryState:
        if self._state is None or now - self._state[0] >= self.state_ttl or now < self._state[0]:
            self._state = (now, self.store.load())
        return self._state[1]

    def _scored(self, model_id: str | None, region: str, at: int) -> ModelScores | None:
        history = self.data.price_history(region)
        if model_id is None or history is None:
            return None
        key = (model_id, region, at)
        if key not in self._scores:
            if model_id not in self._models:
                self._models[model_id] = self.loader(self.artifacts.get(model_id), model_id)
            model = self._models[model_id]
            probabilities = model.probabilities(history, self.data.on_demand, self.data.advisor, at)
            self._scores = {k: v for k, v in self._scores.items() if k[2] == at}  # one price snapshot kept
            self._scores[key] = ModelScores(model_id, probabilities)
        return self._scores[key]
