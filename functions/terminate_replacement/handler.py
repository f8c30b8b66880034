"""Lambda `terminate_replacement`: a replacement that never became Ready is terminated (tag-scoped) and recorded.

Event: the DrainAndReplace state (with `$.launch`). Result: `Termination` (stored at `$.terminate`).
"""

from __future__ import annotations

import functools
import os
from typing import Any

from cloudoptim.interruptions.models import DrainState
from cloudoptim.interruptions.terminate import TerminateDeps, terminate_replacement
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import TerminateSettings
from cloudoptim.wiring import stores


@functools.cache
def root() -> TerminateDeps:
    settings = TerminateSettings.from_env(os.environ)
    return TerminateDeps(registry=stores.registry(settings), cloud=stores.customer_ec2(settings))


def handle(event: dict[str, Any], deps: TerminateDeps) -> dict[str, Any]:
    termination = terminate_replacement(DrainState.model_validate(event), deps)
    count("ReplacementTerminated" if termination.terminated else "ReplacementNotTerminated")
    return termination.model_dump(mode="json")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root())
