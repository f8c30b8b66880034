"""The state of a DrainAndReplace execution: the contract's input plus each task's typed result.

Every task receives the whole state and returns only its own part; the ASL stores it under a fixed
ResultPath (`$.replacement`, `$.launch`, `$.status`, `$.cordon`, `$.drain`, `$.outcome`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["interruption", "rebalance", "scheduled-change", "state-change"]


def to_epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ExecutionInput(BaseModel):
    """The execution input written by `ingest` (docs/platform-contract.md)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: str
    kind: Kind
    event_time: datetime
    deadline: datetime | None = None
    tenant_id: str
    cluster: str
    node_name: str
    instance_id: str
    region: str
    availability_zone: str
    az_id: str | None = None
    instance_type: str
    capacity_type: Literal["spot", "on-demand"] = "spot"
    node_group: str | None = None
    dry_run: bool = False
    wait_seconds: int = Field(5, ge=0)
    # another workflow (a rebalance before this interruption) already launches this instance's replacement
    replacement_under_way: bool = False

    def wire(self) -> dict[str, object]:
        return self.model_dump(mode="json")


class Replacement(BaseModel):
    model_config = ConfigDict(frozen=True)

    capacity_type: Literal["spot", "on-demand"]
    instance_type: str
    zone_key: str
    az_id: str | None = None
    hourly_price: float | None = None
    reasons: list[str] = []
    excluded: list[str] = []  # pools left out by the hive mind or as the interrupted pool


class Launch(BaseModel):
    model_config = ConfigDict(frozen=True)

    launched: bool
    instance_id: str | None = None
    capacity_type: Literal["spot", "on-demand"]
    instance_type: str
    subnet_id: str | None = None
    dry_run: bool = False
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
    cordon: Cordon | None = None
    drain: Drain | None = None
    drain_error: TaskError | None = None


class DrainState(ExecutionInput):
    """The execution state as tasks see it: the input plus the results so far."""

    replacement: Replacement | None = None
    launch: Launch | None = None
    launch_error: TaskError | None = None
    status: NodeStatus | None = None
    cordon: Cordon | None = None
    drain: Drain | None = None
    drain_error: TaskError | None = None
    branches: list[BranchResults] = []
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
    audit_key: str
    dry_run: bool
    reasons: list[str] = []
