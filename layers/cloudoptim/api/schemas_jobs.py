"""Request and response bodies of the scheduled jobs' routes (hibernation, prices, waste); the tenancy ones are in
schemas.py. Times are ISO-8601 UTC strings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cloudoptim.api.schemas import Versioned, iso
from cloudoptim.tenancy.ports import Document

Clock = Annotated[str, Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", examples=["08:00"])]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExclusionsIn(_In):
    namespaces: list[Annotated[str, Field(max_length=63)]] = Field(["kube-system"], max_length=100)
    labels: dict[str, Annotated[str, Field(max_length=63)]] = Field(default_factory=dict)


class ScheduleIn(_In):
    """A weekly schedule in the cluster's time zone: `awake` spans per day (local [start, end)), asleep otherwise."""

    timezone: str = Field("UTC", max_length=64, examples=["Europe/Paris"])
    awake: dict[Day, list[Annotated[list[Clock], Field(min_length=2, max_length=2)]]] = Field(
        default_factory=dict, examples=[{"mon": [["08:00", "19:00"]], "sat": []}]
    )
    prewarm_minutes: int = Field(0, ge=0, le=240, description="wake this long before each awake span")
    holidays: list[date] = Field(default_factory=list, max_length=366, description="local dates asleep all day")
    exclusions: ExclusionsIn = Field(default_factory=ExclusionsIn)
    keep_node_groups: dict[str, Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=dict, description="node groups kept at this many nodes while asleep"
    )
    enabled: bool = True


class ScheduleOut(Versioned):
    cluster: str
    schedule: dict[str, Any]

    @classmethod
    def of(cls, document: Document) -> ScheduleOut:
        return cls(cluster=document.id, schedule=dict(document.body), **cls.stamps(document))


class WakeIn(_In):
    hours: float = Field(gt=0, le=72, description="stay awake this long, whatever the schedule says")


class Desired(BaseModel):
    awake: bool
    code: str
    reason: str


class TransitionOut(BaseModel):
    at: str
    action: Literal["wake", "sleep"]
    local: str


class HibernationEvent(BaseModel):
    model_config = ConfigDict(extra="allow")  # counts differ between sleeps and wakes

    action: Literal["sleep", "wake"]
    at: str | None
    execution: str
    dry_run: bool
    outcome: str
    reasons: list[str] = []


class HibernationView(BaseModel):
    cluster: str
    schedule: dict[str, Any] | None
    schedule_version: int = Field(description="the ETag to send in If-Match to replace the schedule")
    state: Literal["awake", "sleeping", "asleep", "waking"]
    since: str | None = None
    dry_run: bool = False
    manual_wake_until: str | None = None
    snapshot: str | None = None
    execution: str | None = None
    error: str | None = None
    desired: Desired | None = None
    next_transitions: list[TransitionOut] = []
    history: list[HibernationEvent] = Field([], description="recent sleeps and wakes, newest first")

    @classmethod
    def of(cls, view: dict[str, Any]) -> HibernationView:
        stamped = {**view, "since": iso(view.get("since")), "manual_wake_until": iso(view.get("manual_wake_until"))}
        stamped["history"] = [{**e, "at": iso(e.get("at")), "started_at": iso(e.get("started_at"))}
                              for e in view.get("history") or []]  # fmt: skip
        return cls.model_validate(stamped)


class Gap(BaseModel):
    start: str | None
    end: str | None
    hours: float


class RegionPrices(BaseModel):
    region: str
    coverage: float = Field(description="share of the period whose Spot price history was collected")
    period_start: str | None
    period_end: str | None
    gaps: list[Gap]
    watermark: str | None = Field(description="collected up to here; the next scrape starts from it")
    last_run: str | None
    last_error: str | None
    pools: int
    newest_spot_price: str | None
    spot_age_hours: float | None
    on_demand_at: str | None
    advisor_at: str | None


class PriceStats(BaseModel):
    regions: list[RegionPrices]


class WasteFindingOut(BaseModel):
    kind: str
    resource_id: str
    monthly_cost: float
    reasons: list[str]
    action: str


class WasteScanOut(BaseModel):
    account_id: str
    region: str
    scanned_at: str | None
    dry_run: bool = True
    monthly_waste: float
    findings: list[WasteFindingOut]
    not_assessed: list[dict[str, str]] = []


class HiveEvidence(BaseModel):
    customers: int = Field(description="distinct customers interrupted in the pool in the window (never who)")
    interruptions: int = Field(description="interruptions recorded in the window")
    flags: int = Field(description="customers whose 30-minute flag on the pool is live")
    window_minutes: int = 60


class HivePoolOut(BaseModel):
    """One Spot pool the hive mind holds evidence on: counts only, no other customer's identity or account."""

    pool: str = Field(description="<region>#<az id>#<instance type>", examples=["eu-west-1#euw1-az1#m5.large"])
    region: str
    az_id: str
    instance_type: str
    level: Literal["NORMAL", "UNCERTAIN", "CONFIRMED_RISKY"]
    expires_at: str | None = Field(description="when the first counted customer leaves the window: the level may drop")
    evidence: HiveEvidence
    risk_bump: float = Field(description="what the level adds to the pool's risk in every customer's choices")
    excluded_for_you: bool = Field(description="your replacement choices skip the pool")
    your_risk_bump: float = Field(description="what your replacement choices add to the pool's risk")
    yours: bool = Field(description="one of your nodes was interrupted here in the window")
    reason: str
