"""Lambda `evict_pods`: one eviction round honouring PodDisruptionBudgets and the deadline.

Event: the DrainAndReplace state. Result: `Drain` (stored at `$.drain`).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.interruptions.drain import KubeDeps, evict_pods
from cloudoptim.interruptions.models import DrainState
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import KubeTaskSettings
from cloudoptim.wiring import clusters


@functools.cache
def root() -> KubeDeps:
    return clusters.kube_deps(KubeTaskSettings.from_env(os.environ))


def handle(event: dict[str, Any], deps: KubeDeps, now: int) -> dict[str, Any]:
    drain = evict_pods(DrainState.model_validate(event), deps, now)
    count("EvictionRound")
    if drain.step != "wait":
        count("DrainGaveUp" if drain.step == "give-up" else "DrainDone")
    return drain.model_dump(mode="json")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
