"""Lambda `sweep_step`: one step of the Sweep state machine (discover, sample, plan, decide, failed), and the
scheduled fan-outs (`sample_all`: every cluster's usage; `start_all`: a sweep of every cluster).

Event: `{"step": <name>, "state": <the execution's state>}`, or `{"step": "sample_all" | "start_all"}` from a rule.
Result: the new state (cloudoptim/optimization/sweep_steps.py), or per cluster what happened.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.observability import count, instrumented
from cloudoptim.optimization.schedule import sample_all, start_all
from cloudoptim.optimization.sweep_steps import SweepDeps, run_step
from cloudoptim.settings import SweepStepSettings
from cloudoptim.wiring.sweep import sweep_deps


@functools.cache
def root() -> SweepDeps:
    return sweep_deps(SweepStepSettings.from_env(os.environ))


def handle(event: dict[str, Any], deps: SweepDeps, now: int) -> dict[str, Any]:
    step = str(event.get("step"))
    if step == "sample_all":
        return {"clusters": sample_all(deps, now)}
    if step == "start_all":
        return {"clusters": start_all(deps, now)}
    state = run_step(step, deps, dict(event.get("state") or {}), now)
    if step in ("decide", "failed"):
        count("SweepFailed" if step == "failed" else "SweepPlanned")
    return state


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
