"""Request and response bodies of the API: every route reads and writes one of these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from cloudoptim.tenancy.policy import ClusterPolicy
from cloudoptim.tenancy.ports import Document
from cloudoptim.tenancy.principal import Role

T = TypeVar("T")
ACCOUNT_PATTERN = r"^\d{12}$"
REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$"
CLUSTER_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,99}$"


def iso(epoch: int | float | None) -> str | None:
    if not epoch:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Versioned(BaseModel):
    version: int = Field(description="also the ETag; send it back in If-Match to update")
    created_at: str | None = None
    updated_at: str | None = None

    @staticmethod
    def stamps(document: Document) -> dict[str, Any]:
        return {
            "version": document.version,
            "created_at": iso(document.created_at),
            "updated_at": iso(document.updated_at),
        }


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Me(BaseModel):
    tenant_id: str
    subject: str
    email: str
    role: Role
    permissions: list[str]


class AccountIn(_In):
    aws_account_id: str = Field(description="12 digits", pattern=ACCOUNT_PATTERN, examples=["111122223333"])
    regions: list[Annotated[str, Field(pattern=REGION_PATTERN)]] = Field(
        min_length=1, max_length=30, examples=[["eu-west-1"]]
    )
    launch_template_ids: list[Annotated[str, Field(pattern=r"^lt-[0-9a-f]{8,17}$")]] = Field(
        min_length=1,
        max_length=100,
        description="the node groups' launch templates, the only ones CloudOptim launches",
        examples=[["lt-0abc12345678def90"]],
    )
    node_role_names: list[Annotated[str, Field(pattern=r"^[\w+=,.@-]{1,64}$")]] = Field(
        default=["AmazonEKSNodeRole"], min_length=1, max_length=20, description="node IAM roles (named, no wildcards)"
    )


class Verification(BaseModel):
    at: str | None
    assumed: bool
    checks: dict[str, bool]
    reasons: list[str]


class Account(Versioned):
    id: str
    aws_account_id: str
    regions: list[str]
    role_arn: str
    launch_template_ids: list[str] = []
    node_role_names: list[str] = []
    status: Literal["pending", "verified", "degraded", "failed"]
    verification: Verification | None = None

    @classmethod
    def of(cls, document: Document) -> Account:
        body = dict(document.body)
        verification = body.get("verification")
        if verification:
            verification = {**verification, "at": iso(verification.get("at"))}
        return cls(id=document.id, **{**body, "verification": verification}, **cls.stamps(document))


class AccountCreated(Account):
    external_id: str = Field(description="the ExternalId the account's role demands; also inside `template`")
    template: dict[str, Any] = Field(description="the CloudFormation onboarding template to deploy in the account")


class ClusterIn(_In):
    account_id: str = Field(description="an onboarded AWS account of this tenant", pattern=ACCOUNT_PATTERN)
    name: str = Field(description="the EKS cluster name", pattern=CLUSTER_PATTERN)
    region: str = Field(pattern=REGION_PATTERN)
    credentials: Literal["eks", "secret"] = Field(
        "eks", description="eks: the account's role signs EKS tokens; secret: a service-account token kept for it"
    )
    token: str | None = Field(None, min_length=1, max_length=16384, description="write-only; credentials=secret")


class Connection(BaseModel):
    at: str | None
    checks: dict[str, bool]
    reasons: list[str]
    version: str | None = None


class Cluster(Versioned):
    id: str
    name: str
    account_id: str
    region: str
    credentials: Literal["eks", "secret"]
    status: Literal["pending", "connected", "unreachable"]
    endpoint: str | None = None
    connection: Connection | None = None
    node_groups: list[str] = []

    @classmethod
    def of(cls, document: Document) -> Cluster:
        body = dict(document.body)
        connection = body.get("connection")
        if connection:
            connection = {**connection, "at": iso(connection.get("at"))}
        return cls(
            id=document.id, name=body["name"], account_id=body["account_id"], region=body["region"],
            credentials=body["credentials"]["kind"], status=body["status"], endpoint=body.get("endpoint"),
            connection=connection, node_groups=sorted(body.get("node_groups") or {}), **cls.stamps(document),
        )  # fmt: skip


class Policy(Versioned):
    cluster: str
    policy: ClusterPolicy

    @classmethod
    def of(cls, document: Document) -> Policy:
        return cls(cluster=document.id, policy=ClusterPolicy.model_validate(document.body), **cls.stamps(document))


class UserIn(_In):
    email: str = Field(max_length=320, pattern=r"^[^@\s]{1,64}@[^@\s]{1,253}\.[A-Za-z]{2,63}$")
    role: Role


class RoleIn(_In):
    role: Role


class User(Versioned):
    id: str
    email: str
    role: Role

    @classmethod
    def of(cls, document: Document) -> User:
        return cls(id=document.id, email=document.body["email"], role=document.body["role"], **cls.stamps(document))


class Settings(Versioned):
    safe_mode: bool = Field(description="every workflow of the tenant runs dry: decides, records, changes nothing")

    @classmethod
    def of(cls, document: Document) -> Settings:
        return cls(safe_mode=bool(document.body.get("safe_mode")), **cls.stamps(document))


class SafeModeIn(_In):
    enabled: bool


class AuditEntry(BaseModel):
    seq: int
    time: str
    action_id: str
    actor: str
    action: str
    target: dict[str, Any]
    outcome: str
    reasons: list[str] = []
    dry_run: bool = False
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    prev_hash: str
    hash: str


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page; null on the last")


class RecommendationOut(Versioned):
    id: str
    cluster: str
    kind: str
    status: str = Field(
        description="open, approved, rejected, executing, succeeded, failed, rolled_back, expired, "
        "superseded, needs_gitops"
    )
    title: str
    current: str
    recommended: str
    projected_savings_per_hour: float
    projected_savings_per_month: float
    cost_before_per_hour: float
    reasons: list[str]
    patch: str | None = None
    gitops_owner: str | None = None
    sweep_id: str
    expires_at: str | None
    approved_by: str | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    execution_id: str | None = None
    realised_savings_per_hour: float | None = None
    outcome: list[str] = []
    actions: list[dict[str, Any]] = []


class RejectIn(_In):
    reason: str | None = Field(None, max_length=1000)


class SweepOut(Versioned):
    id: str
    cluster: str
    status: str
    started_at: str | None
    finished_at: str | None = None
    discovery_run: str | None = None
    recommendations: list[str]
    current_cost_per_hour: float | None = None
    projected_savings_per_hour: float | None = None
    by_kind: dict[str, float] = {}
    automatic: list[str] = []
    reasons: list[str] = []
    dry_run: bool


class ExecutionOut(Versioned):
    id: str
    cluster: str
    recommendation_id: str
    kind: str
    status: str
    started_at: str | None
    finished_at: str | None = None
    started_by: str
    projected_savings_per_hour: float
    realised_savings_per_hour: float | None = None
    steps: list[dict[str, Any]] = []
    reasons: list[str] = []
    dry_run: bool


class CapabilitySavings(BaseModel):
    projected_savings_per_hour: float
    realised_savings_per_hour: float
    projected_savings_per_month: float
    realised_savings_per_month: float
    recommendations: int


class Savings(BaseModel):
    current_cost_per_hour: float
    current_cost_per_month: float
    projected_savings_per_hour: float
    projected_savings_per_month: float
    realised_savings_per_hour: float
    realised_savings_per_month: float
    by_capability: dict[str, CapabilitySavings]
    formula: str
