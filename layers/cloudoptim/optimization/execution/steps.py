"""The Execute state machine's steps by name (statemachines/execute.asl.json routes on the `route` each returns).

Event state: the execution's payload (tenant_id, cluster, recommendation_id, execution_id, kind, dry_run) plus
what earlier steps added. Every step is safe to retry: launches carry a client token, cordon and patches set a
value, evictions of pods already gone count as done, removal of a node already gone is a no-op, and audit entries
are keyed by execution, step and object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudoptim.errors import InvalidArgumentError
from cloudoptim.optimization.execution import nodes, workloads
from cloudoptim.optimization.execution.finish import fail
from cloudoptim.optimization.execution.guard import guard
from cloudoptim.optimization.execution.ports import ExecutionDeps
from cloudoptim.optimization.execution.run import Run, State
from cloudoptim.optimization.execution.validate import validate


def _failed(run: Run) -> State:
    """The Catch path: a step raised; the execution and its recommendation say which error."""
    return fail(run, "failed", [f"a step failed: {_error(run.state)}"])


def _error(state: State) -> str:
    error: Any = state.get("error") or {}
    return f"{error.get('Error', 'error')}: {error.get('Cause', '')}"[:500]


STEPS: dict[str, Callable[[Run], State]] = {
    "validate": validate,
    "launch": nodes.launch,
    "wait_ready": nodes.wait_ready,
    "cordon": nodes.cordon,
    "evict": nodes.evict,
    "remove": nodes.remove,
    "patch": workloads.patch,
    "guard": guard,
    "failed": _failed,
}


def run_step(step: str, deps: ExecutionDeps, state: State, now: int) -> State:
    action = STEPS.get(step)
    if action is None:
        raise InvalidArgumentError(f"unknown execution step {step!r}; known: {', '.join(sorted(STEPS))}")
    return action(Run(deps, dict(state), now))
