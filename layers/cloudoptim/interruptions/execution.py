"""The input of a DrainAndReplace execution, as `ingest` writes it (docs/platform-contract.md).

Apart from the tasks' models (cloudoptim.interruptions.models) so that ingest, on the two-minute path, does not
build models it never uses.
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
    # the instance's guard claims ingest took for this execution, released by its failure paths (RecordOutcome)
    claims: tuple[str, ...] = ()
    claim_owner: str | None = None

    def wire(self) -> dict[str, object]:
        return self.model_dump(mode="json")
