"""Lambda `launch_replacement`: RunInstances in the customer's account from the node group's launch template.

Event: the DrainAndReplace state (with `$.replacement`). Result: `Launch` (stored at `$.launch`).
"""

from __future__ import annotations

import functools
import os
from typing import Any

from cloudoptim.adapters.recent_registry import RecentRegistry
from cloudoptim.interruptions.launch import LaunchDeps, launch
from cloudoptim.interruptions.models import DrainState
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import LaunchSettings
from cloudoptim.wiring import stores


@functools.cache
def root() -> LaunchDeps:
    settings = LaunchSettings.from_env(os.environ)
    # the tenant and cluster records (role, node groups) kept a minute per warm container, as the Kubernetes steps do;
    # the new node's INSTANCE# item is written through, never cached
    return LaunchDeps(registry=RecentRegistry(stores.registry(settings)), cloud=stores.customer_ec2(settings))


def handle(event: dict[str, Any], deps: LaunchDeps) -> dict[str, Any]:
    launched = launch(DrainState.model_validate(event), deps)
    count("ReplacementLaunched" if launched.launched else "LaunchPlanned")
    return launched.model_dump(mode="json")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root())
