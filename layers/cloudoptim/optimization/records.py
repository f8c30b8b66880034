"""What the sweep stores per tenant (versioned documents, cloudoptim.tenancy.ports.Documents): recommendations,
sweeps and executions, with their life cycles."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["consolidation", "node_rightsizing", "workload_rightsizing", "spot", "oom"]
KINDS: tuple[Kind, ...] = ("consolidation", "node_rightsizing", "workload_rightsizing", "spot", "oom")
Status = Literal[
    "open",  # waiting for a decision (policy `recommend`)
    "approved",  # a person said yes; an execution starts after re-validation
    "rejected",
    "executing",
    "succeeded",
    "failed",
    "rolled_back",  # the savings guard undid it
    "expired",  # nobody decided before `expires_at`, or the approval lapsed before it ran
    "superseded",  # a newer sweep replaced it, or re-validation re-planned it
    "needs_gitops",  # a GitOps-managed owner: the patch is for its repository, never applied by us
]
OPEN_STATUSES: frozenset[str] = frozenset({"open", "approved", "needs_gitops"})
DECIDABLE: frozenset[str] = frozenset({"open", "needs_gitops"})
RECOMMENDATION_TTL_SECONDS = 7 * 86400
APPROVAL_TTL_SECONDS = 24 * 3600


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Recommendation(_Record):
    cluster: str
    kind: Kind
    status: Status = "open"
    title: str = Field(description="one line: what changes, e.g. 'delete 3 nodes' or 'web/api: cpu 2 -> 0.5'")
    current: str = Field("", description="what is there now, in words")
    recommended: str = Field("", description="what it would be")
    projected_savings_per_hour: float = Field(description="this recommendation's share of the ledger ($/h)")
    cost_before_per_hour: float = Field(0.0, description="the cost of what it touches, before")
    reasons: list[str] = []
    actions: list[dict[str, Any]] = Field(default_factory=list, description="the engine's actions, as executed")
    patch: str | None = Field(None, description="a ready patch (workload changes), YAML")
    gitops_owner: str | None = None
    sweep_id: str
    discovery_run: str
    prices_as_of: str | None = None
    expires_at: int
    approved_by: str | None = None
    approval_expires_at: int | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    execution_id: str | None = None
    realised_savings_per_hour: float | None = None
    outcome: list[str] = []


class Sweep(_Record):
    cluster: str
    status: Literal["running", "planned", "failed"] = "running"
    started_at: int
    finished_at: int | None = None
    discovery_run: str | None = None
    recommendations: list[str] = []
    current_cost_per_hour: float | None = None
    projected_savings_per_hour: float | None = None
    by_kind: dict[str, float] = {}
    automatic: list[str] = Field(default_factory=list, description="recommendations started without a person")
    reasons: list[str] = []
    dry_run: bool = False


class Execution(_Record):
    cluster: str
    recommendation_id: str
    kind: Kind
    status: Literal["running", "succeeded", "failed", "rolled_back", "replanned", "skipped"] = "running"
    started_at: int
    finished_at: int | None = None
    started_by: str
    projected_savings_per_hour: float
    realised_savings_per_hour: float | None = None
    steps: list[dict[str, Any]] = []
    reasons: list[str] = []
    dry_run: bool = False
