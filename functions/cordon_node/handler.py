"""Lambda `cordon_node`: mark the interrupted node unschedulable.

Event: the DrainAndReplace state. Result: `Cordon` (stored at `$.cordon`).
"""

from __future__ import annotations

import functools
import os
from typing import Any

from cloudoptim.interruptions.drain import KubeDeps, cordon_node
from cloudoptim.interruptions.models import DrainState
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import KubeTaskSettings
from cloudoptim.wiring import clusters


@functools.cache
def root() -> KubeDeps:
    return clusters.kube_deps(KubeTaskSettings.from_env(os.environ))


def handle(event: dict[str, Any], deps: KubeDeps) -> dict[str, Any]:
    cordon = cordon_node(DrainState.model_validate(event), deps)
    count("NodeCordoned" if cordon.cordoned else "CordonSkipped")
    return cordon.model_dump(mode="json")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root())
