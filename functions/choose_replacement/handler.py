"""Lambda `choose_replacement`: the Spot engine's pick for the interrupted node, hive-mind filtered, risks scored by
the registry's active model (the heuristic when none is active).

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
from cloudoptim.wiring.choose import choose_deps  # imports LightGBM: at init, not on the first notice


@functools.cache
def root() -> ChooseDeps:
    settings = ChooseSettings.from_env(os.environ)
    return choose_deps(settings)


def handle(event: dict[str, Any], deps: ChooseDeps, now: int) -> dict[str, Any]:
    replacement = choose(DrainState.model_validate(event), deps, now)
    count("ReplacementSpot" if replacement.capacity_type == "spot" else "ReplacementOnDemand")
    return replacement.model_dump(mode="json")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
