"""Lambda `choose_replacement`: the Spot engine's pick for the interrupted node, hive-mind filtered.

Event: the DrainAndReplace state. Result: `Replacement` (stored at `$.replacement`).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.interruptions.choose import ChooseDeps, choose
from cloudoptim.interruptions.models import DrainState
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import ChooseSettings
from cloudoptim.wiring import market, stores


@functools.cache
def root() -> ChooseDeps:
    settings = ChooseSettings.from_env(os.environ)
    chosen = market.market(settings)
    return ChooseDeps(registry=stores.registry(settings), hive=stores.hive_mind(settings), market=chosen)


def handle(event: dict[str, Any], deps: ChooseDeps, now: int) -> dict[str, Any]:
    replacement = choose(DrainState.model_validate(event), deps, now)
    count("ReplacementSpot" if replacement.capacity_type == "spot" else "ReplacementOnDemand")
    return replacement.model_dump(mode="json")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
