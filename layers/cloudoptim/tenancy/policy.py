"""A cluster's policy (spec P4): how far CloudOptim may go on its own, validated with errors that name the field.

Deny by default: every capability starts at `recommend`, and an `automatic` action runs only inside a maintenance
window (none by default) and within the disruption budget.

>>> policy = ClusterPolicy.model_validate({"automation": {"spot": "automatic"}})
>>> policy.automation.spot, policy.automation.consolidation, policy.windows_open_at(0)
('automatic', 'recommend', False)
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Level = Literal["off", "recommend", "automatic"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_FAMILY = re.compile(r"^[a-z][a-z0-9-]*$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PERCENT = re.compile(r"^(100|[1-9]?\d)%$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Automation(_Strict):
    spot: Level = "recommend"
    consolidation: Level = "recommend"
    node_rightsizing: Level = "recommend"
    workload_rightsizing: Level = "recommend"
    oom_remediation: Level = "recommend"
    hibernation: Level = "recommend"
    waste: Level = "recommend"


class Consolidation(_Strict):
    aggressiveness: Literal["conservative", "balanced", "aggressive"] = "balanced"
    min_savings_per_action: float = Field(0.01, ge=0, le=1000, description="$ per hour an action must save")
    min_savings_share: float = Field(0.05, ge=0, le=1, description="share of the removed nodes' price to save")


class Spot(_Strict):
    fallback: Literal["on-demand", "none"] = "on-demand"
    max_risk: float = Field(0.5, ge=0, le=1, description="pools riskier than this are never chosen")
    min_azs: int = Field(3, ge=1, le=6)
    max_pool_share: float = Field(0.2, gt=0, le=1)
    on_demand_share: float = Field(0.15, ge=0, le=1)


class Exclusions(_Strict):
    namespaces: tuple[str, ...] = ("kube-system",)
    node_labels: dict[str, str] = Field(default_factory=dict, description="nodes carrying any of these are left alone")
    pod_labels: dict[str, str] = Field(default_factory=dict, description="pods carrying any of these are not moved")

    @field_validator("namespaces")
    @classmethod
    def _namespaces(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not _NAMESPACE.match(name) or len(name) > 63:
                raise ValueError(f"{name!r} is not a namespace name (RFC 1123 label)")
        return value

    @field_validator("node_labels", "pod_labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not _LABEL_KEY.match(key) or len(key) > 316:
                raise ValueError(f"{key!r} is not a label key")
        return value


class NodeTemplates(_Strict):
    allowed_families: tuple[str, ...] = Field(default=(), description="empty: every family")
    blocked_families: tuple[str, ...] = ()
    architectures: tuple[Literal["x86_64", "arm64"], ...] = ("x86_64",)
    capacity_types: tuple[Literal["spot", "on-demand"], ...] = ("spot", "on-demand")

    @field_validator("allowed_families", "blocked_families")
    @classmethod
    def _families(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for family in value:
            if not _FAMILY.match(family):
                raise ValueError(f"{family!r} is not an instance family such as 'm5' or 'c7g'")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> NodeTemplates:
        if not self.architectures:
            raise ValueError("architectures: at least one")
        if not self.capacity_types:
            raise ValueError("capacity_types: at least one")
        overlap = set(self.allowed_families) & set(self.blocked_families)
        if overlap:
            raise ValueError(f"families both allowed and blocked: {', '.join(sorted(overlap))}")
        return self


class DisruptionBudget(_Strict):
    max_nodes: int | str = Field("10%", description="nodes disrupted at once: a count or a percentage")
    max_evictions_per_hour: int = Field(100, ge=0, le=100_000)

    @field_validator("max_nodes")
    @classmethod
    def _max_nodes(cls, value: int | str) -> int | str:
        if isinstance(value, int):
            if value < 0:
                raise ValueError("a node count is 0 or more")
            return value
        if not _PERCENT.match(value):
            raise ValueError(f"{value!r}: a count (e.g. 2) or a percentage from 0% to 100%")
        return value


class Window(_Strict):
    days: tuple[Day, ...] = Field(min_length=1)
    start: str = Field(description="HH:MM in the policy's time zone")
    end: str = Field(description="HH:MM; an end at or before the start runs past midnight")

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"{value!r} is not a time of day HH:MM")
        return value

    def open_at(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        start, end = _minutes(self.start), _minutes(self.end)
        today, yesterday = DAYS[local.weekday()], DAYS[(local.weekday() - 1) % 7]
        if start < end:
            return today in self.days and start <= minute < end
        # past midnight: open from start today, or until end if it started yesterday
        return (today in self.days and minute >= start) or (yesterday in self.days and minute < end)


class MaintenanceWindows(_Strict):
    timezone: str = "UTC"
    windows: tuple[Window, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if value not in _zones():
            raise ValueError(f"{value!r} is not an IANA time zone such as 'Europe/Dublin'")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone") from exc
        return value


class ClusterPolicy(_Strict):
    automation: Automation = Field(default_factory=Automation)
    consolidation: Consolidation = Field(default_factory=Consolidation)
    spot: Spot = Field(default_factory=Spot)
    exclusions: Exclusions = Field(default_factory=Exclusions)
    node_templates: NodeTemplates = Field(default_factory=NodeTemplates)
    disruption_budget: DisruptionBudget = Field(default_factory=DisruptionBudget)
    maintenance_windows: MaintenanceWindows = Field(default_factory=MaintenanceWindows)

    def windows_open_at(self, epoch: int) -> bool:
        """Whether an automatic action may start at `epoch`: deny by default, allow inside a window."""
        local = datetime.fromtimestamp(epoch, UTC).astimezone(ZoneInfo(self.maintenance_windows.timezone))
        return any(window.open_at(local) for window in self.maintenance_windows.windows)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}
