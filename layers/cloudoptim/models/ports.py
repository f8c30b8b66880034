"""What the registry needs from storage, and the records it keeps. No SDK here: adapters implement the ports.

One registry document (`RegistryState`) holds every model's record, the active model, the rollback history and
the shadow candidate; it is written with a version check so concurrent writers never lose each other's change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

HEURISTIC = "heuristic"  # what choices name when no model is active


class ModelStatus(StrEnum):
    UPLOADED = "uploaded"  # stored, not yet validated: never scores
    VALIDATED = "validated"  # passed every check: may be activated or shadowed
    REJECTED = "rejected"  # failed a check: kept for the record, never used


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    passed: bool
    detail: str


class ModelRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    sha256: str
    region: str
    trained_until: str
    uploaded_at: int
    uploaded_by: str
    status: ModelStatus = ModelStatus.UPLOADED
    checks: tuple[CheckResult, ...] = ()
    reason: str = ""  # why it was rejected
    evaluation: str = ""  # a retraining's comparison with the active model on the newest held-out window


class RegistryEvent(BaseModel):
    """One change of what scores choices, for the operator's history."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: int
    actor: str
    action: str  # activate, rollback, shadow, promote
    model_id: str  # the model active (or shadowed) after the change, or "heuristic"


class RegistryState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 0  # 0: never written
    models: dict[str, ModelRecord] = Field(default_factory=dict)
    active: str | None = None
    previous: tuple[str | None, ...] = ()  # earlier active models, newest last: what rollback restores
    shadow: str | None = None
    events: tuple[RegistryEvent, ...] = ()

    @property
    def active_id(self) -> str:
        return self.active or HEURISTIC


class ArtifactStore(Protocol):
    """The artifact files of each model, by id (S3 in AWS). Writing the same id twice writes the same bytes."""

    def put(self, model_id: str, files: Mapping[str, bytes]) -> None: ...
    def get(self, model_id: str) -> dict[str, bytes]: ...


class RegistryStore(Protocol):
    """The registry document (a DynamoDB item in AWS)."""

    def load(self) -> RegistryState: ...

    def save(self, state: RegistryState, expected_version: int) -> None:
        """Write `state` (whose version is expected_version + 1) only if the stored version is still
        `expected_version`; RegistryConflictError otherwise."""
        ...


class ShadowEntry(BaseModel):
    """One live choice scored by the active model and, without deciding, by the shadow candidate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: int  # the price snapshot both scored
    region: str
    active: str  # model id or "heuristic"
    candidate: str
    active_pool: str  # "instance_type@az_id" of what was chosen (the hive mind's pool), "" when On-Demand was
    candidate_pool: str  # what the candidate would have chosen
    active_risk: float | None  # the candidate's probability of the active pick
    candidate_risk: float | None  # the candidate's probability of its own pick
    # Each model's probability of both picks (pool -> P), so the report compares the two on the same pools; the
    # active side is empty when the heuristic decided. Entries written before these fields have neither.
    active_scores: dict[str, float] = Field(default_factory=dict)
    candidate_scores: dict[str, float] = Field(default_factory=dict)
    chosen_at: int | None = None  # when the choice was made: outcomes count from here (else from `at`)

    @property
    def when(self) -> int:
        return self.at if self.chosen_at is None else self.chosen_at


class ShadowLog(Protocol):
    def record(self, entry: ShadowEntry) -> None: ...
    def entries(self, candidate: str) -> list[ShadowEntry]: ...


class Interruption(BaseModel):
    """A recorded interruption (the hive mind's record): its pool as "instance_type@az_id", and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pool: str
    at: int


class InterruptionHistory(Protocol):
    """The interruptions recorded in a region that are still kept at `now` (the outcomes shadow reports judge)."""

    def interruptions(self, region: str, now: int) -> Sequence[Interruption]: ...


class Validations(Protocol):
    """Starts the ValidateModel state machine for a model; a second start of the same model is a duplicate."""

    def start(self, model_id: str) -> str: ...
