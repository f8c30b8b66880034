"""The state of a DrainAndReplace execution: the contract's input plus each task's typed result.

Every task receives the whole state and returns only its own part; the ASL stores it under a fixed
ResultPath (`$.replacement`, `$.launch`, `$.status`, `$.terminate`, `$.cordon`, `$.drain`, `$.outcome`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cloudoptim.interruptions.execution import ExecutionInput


class Replacement(BaseModel):
    model_config = ConfigDict(frozen=True)

    capacity_type: Literal["spot", "on-demand"]
    instance_type: str
    zone_key: str
    az_id: str | None = None
    hourly_price: float | None = None
    reasons: list[str] = []
    excluded: list[str] = []  # pools left out by the hive mind or as the interrupted pool
    model: str = "heuristic"  # the risk model's id behind the choice, `heuristic` when none is active


class Launch(BaseModel):
    model_config = ConfigDict(frozen=True)

    launched: bool
    instance_id: str | None = None
    capacity_type: Literal["spot", "on-demand"]
    instance_type: str
    subnet_id: str | None = None
    node_name: str | None = None  # the EC2 private DNS name: what an EKS node of this instance is called
    dry_run: bool = False
    reasons: list[str] = []


class Termination(BaseModel):
    """A replacement that never became Ready, terminated (only if it carries the tags CloudOptim launched it with)."""

    model_config = ConfigDict(frozen=True)

    terminated: bool
    instance_id: str | None = None
    reasons: list[str] = []


class NodeStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: Literal["ready", "wait", "timeout"]
    attempts: int = 0
    node_name: str | None = None
    reasons: list[str] = []


class Cordon(BaseModel):
    model_config = ConfigDict(frozen=True)

    cordoned: bool
    node_name: str
    dry_run: bool = False
    reasons: list[str] = []


class Drain(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: Literal["done", "wait", "give-up"]
    rounds: int = 0
    evicted: list[str] = []
    blocked: list[str] = []
    skipped: list[str] = []
    dry_run: bool = False
    reasons: list[str] = []


class TaskError(BaseModel):
    """What a Catch puts at `$.error`."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    error: str = Field(alias="Error")
    cause: str | None = Field(None, alias="Cause")


class BranchResults(BaseModel):
    """What one branch of the Parallel state added to the state."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    replacement: Replacement | None = None
    launch: Launch | None = None
    launch_error: TaskError | None = None
    status: NodeStatus | None = None
    status_error: TaskError | None = None
    terminate: Termination | None = None
    terminate_error: TaskError | None = None
    cordon: Cordon | None = None
    drain: Drain | None = None
    drain_error: TaskError | None = None


class DrainState(ExecutionInput):
    """The execution state as tasks see it: the input plus the results so far."""

    replacement: Replacement | None = None
    launch: Launch | None = None
    launch_error: TaskError | None = None
    status: NodeStatus | None = None
    status_error: TaskError | None = None
    terminate: Termination | None = None
    terminate_error: TaskError | None = None
    cordon: Cordon | None = None
    drain: Drain | None = None
    drain_error: TaskError | None = None
    branches: list[BranchResults] = Field(default_factory=list)
    error: TaskError | None = None

    def merged(self) -> DrainState:
        """Lift the Parallel branches' results to the top level."""
        update: dict[str, object] = {}
        for branch in self.branches:
            for name in BranchResults.model_fields:
                value = getattr(branch, name)
                if value is not None and getattr(self, name) is None and name not in update:
                    update[name] = value
        return self.model_copy(update=update)


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: str
    drained: bool  # the node was drained (fully): what the workflow is for
    audit_key: str
    dry_run: bool
    released: list[str] = []  # guard claims given back so a later notice for the instance can act
    reasons: list[str] = []
