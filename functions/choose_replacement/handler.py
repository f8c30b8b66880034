"""Lambda `choose_replacement`: the Spot engine's pick for the interrupted node, hive-mind filtered, risks scored by
the registry's active model (the heuristic when none is active).

Event: the DrainAndReplace state. Result: `Replacement` (stored at `$.replacement`).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.market import DayZeroMarket
from cloudoptim.interruptions.choose import ChooseDeps, NoModels, RiskModels, choose
from cloudoptim.interruptions.models import DrainState
from cloudoptim.models.scoring import RegistryModels  # imports LightGBM: at init, not on the first notice
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import ChooseSettings
from cloudoptim.wiring import stores


@functools.cache
def root() -> ChooseDeps:
    settings = ChooseSettings.from_env(os.environ)
    data = load_day_zero()
    models: RiskModels = NoModels()
    if settings.model_bucket:
        models = RegistryModels(
            store=stores.model_registry(settings),
            artifacts=stores.model_artifacts(settings),
            data=data,
            shadow_log=stores.shadow_log(settings),
        )
    market = DayZeroMarket(data)
    return ChooseDeps(registry=stores.registry(settings), hive=stores.hive_mind(settings), market=market, models=models)


def handle(event: dict[str, Any], deps: ChooseDeps, now: int) -> dict[str, Any]:
    replacement = choose(DrainState.model_validate(event), deps, now)
    count("ReplacementSpot" if replacement.capacity_type == "spot" else "ReplacementOnDemand")
    return replacement.model_dump(mode="json")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
