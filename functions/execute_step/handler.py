"""Lambda `execute_step`: one step of the Execute state machine (validate, launch, wait_ready, cordon, evict,
remove, patch, guard, failed).

Event: `{"step": <name>, "state": <the execution's state>}`. Result: the new state, whose `route` the state machine
follows (cloudoptim/optimization/execution/steps.py).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.observability import count, instrumented
from cloudoptim.optimization.execution.ports import ExecutionDeps
from cloudoptim.optimization.execution.steps import run_step
from cloudoptim.settings import ExecuteStepSettings
from cloudoptim.wiring.execution import execute_deps

ENDINGS = {"succeeded": "ExecutionSucceeded", "failed": "ExecutionFailed", "rolled_back": "ExecutionRolledBack",
           "replanned": "ExecutionReplanned", "skipped": "ExecutionNeedsGitOps"}  # fmt: skip


@functools.cache
def root() -> ExecutionDeps:
    return execute_deps(ExecuteStepSettings.from_env(os.environ))


def handle(event: dict[str, Any], deps: ExecutionDeps, now: int) -> dict[str, Any]:
    state = run_step(str(event["step"]), deps, dict(event["state"]), now)
    if state.get("route") == "done" and state.get("status") in ENDINGS:
        count(ENDINGS[str(state["status"])])
    return state


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
