"""Lambda `node_status`: is the replacement node Ready yet (bounded loop).

Event: the DrainAndReplace state. Result: `NodeStatus` (stored at `$.status`).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.interruptions.drain import KubeDeps, node_status
from cloudoptim.interruptions.models import DrainState
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import KubeTaskSettings
from cloudoptim.wiring import clusters


@functools.cache
def root() -> KubeDeps:
    return clusters.kube_deps(KubeTaskSettings.from_env(os.environ))


def handle(event: dict[str, Any], deps: KubeDeps, now: int) -> dict[str, Any]:
    status = node_status(DrainState.model_validate(event), deps, now)
    count(f"NodeStatus{status.step.title()}")
    return status.model_dump(mode="json")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
