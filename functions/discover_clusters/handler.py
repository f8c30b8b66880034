"""Lambda `discover_clusters` (hourly): every registered cluster's nodes (registered as instances, so their
interruption notices resolve) and managed node groups (recorded in the cluster document).

Event: the EventBridge schedule. Result: per cluster the nodes and node groups found, or its error.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.discovery.discover import discover_all
from cloudoptim.discovery.ports import DiscoveryDeps
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import DiscoverySettings
from cloudoptim.wiring.discovery import discovery_deps


@functools.cache
def root() -> DiscoveryDeps:
    return discovery_deps(DiscoverySettings.from_env(os.environ))


def handle(event: dict[str, Any], deps: DiscoveryDeps, now: int) -> dict[str, Any]:
    found = discover_all(deps, now)
    count("ClustersUnreachable", sum(1 for c in found if c.error))
    return {"clusters": [c.as_json() for c in found]}


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
