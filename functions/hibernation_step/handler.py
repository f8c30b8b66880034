"""Lambda `hibernation_step`: one step of the Hibernate state machine (snapshot, scale, restore, check, record).

Event: `{"step": <name>, "state": <the execution's state>}`. Result: the new state (cloudoptim/hibernation/steps.py).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.hibernation.ports import HibernationDeps
from cloudoptim.hibernation.steps import run_step
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import HibernationStepSettings
from cloudoptim.wiring.hibernation import step_deps


@functools.cache
def root() -> HibernationDeps:
    return step_deps(HibernationStepSettings.from_env(os.environ))


def handle(event: dict[str, Any], deps: HibernationDeps, now: int) -> dict[str, Any]:
    state = run_step(str(event["step"]), deps, dict(event["state"]), now)
    if event["step"] in ("record", "failed"):
        action = "Sleep" if state["action"] == "sleep" else "Wake"
        done = "Failed" if state["recorded"]["outcome"] == "failed" else "Done"
        count(f"Hibernation{action}{done}")
    return state


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
