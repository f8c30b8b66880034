"""A cluster's hibernation schedule: when it is awake, in its own time zone, with pre-warm, holidays and
exclusions. Validated once at the edge (API or CLI); errors name the field.

>>> s = Schedule.model_validate({"timezone": "Europe/Paris", "awake": {"mon": [["08:00", "19:00"]]}})
>>> s.awake["mon"], s.awake["sun"], s.prewarm_minutes
(((480, 1140),), (), 0)
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
MAX_PREWARM_MINUTES = 240

Span = tuple[int, int]  # minutes after local midnight, [start, end), end up to 1440


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class Exclusions(BaseModel):
    """Workloads left running while the cluster sleeps (their pods need a node: see `keep_node_groups`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespaces: tuple[str, ...] = ("kube-system",)
    labels: dict[str, str] = Field(default_factory=dict, description="workloads carrying any of these stay awake")

    @field_validator("namespaces")
    @classmethod
    def _namespaces(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not _NAMESPACE.match(name) or len(name) > 63:
                raise ValueError(f"{name!r} is not a namespace name (RFC 1123 label)")
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not _LABEL_KEY.match(key) or len(key) > 316:
                raise ValueError(f"{key!r} is not a label key")
        return value


class Schedule(BaseModel):
    """`awake` lists, per day, the local [start, end) spans the cluster runs; any other time it sleeps.
    A span may end at "24:00"; spans touching across midnight make one awake stretch (Fri 20:00 -> Mon 06:00
    asleep is `fri: [["06:00","20:00"]]`, nothing on sat and sun, `mon: [["06:00","24:00"]]`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "UTC"
    awake: dict[Day, tuple[Span, ...]] = Field(default_factory=dict)
    prewarm_minutes: int = Field(0, ge=0, le=MAX_PREWARM_MINUTES, description="wake this long before a span starts")
    holidays: tuple[date, ...] = Field(default=(), max_length=366, description="local dates asleep all day")
    exclusions: Exclusions = Field(default_factory=Exclusions)
    keep_node_groups: dict[str, int] = Field(
        default_factory=dict, description="node groups kept at this many nodes while asleep (for excluded workloads)"
    )
    enabled: bool = True

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as 'Europe/Paris'") from None
        return value

    @field_validator("awake", mode="before")
    @classmethod
    def _spans(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        parsed: dict[str, tuple[Span, ...]] = {}
        for day, spans in value.items():
            parsed[day] = tuple(sorted(_span(day, index, span) for index, span in enumerate(spans or ())))
            for (_, end), (start, _) in zip(parsed[day], parsed[day][1:], strict=False):
                if start < end:
                    raise ValueError(f"awake.{day}: spans overlap")
        return parsed

    @field_validator("keep_node_groups")
    @classmethod
    def _kept(cls, value: dict[str, int]) -> dict[str, int]:
        for name, nodes in value.items():
            if not 0 <= nodes <= 1000:
                raise ValueError(f"{name}: keep between 0 and 1000 nodes")
        return value

    @model_validator(mode="after")
    def _every_day(self) -> Schedule:
        for day in DAYS:
            self.awake.setdefault(day, ())
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def as_json(self) -> dict[str, Any]:
        """The schedule as the API and CLI write it (spans back to "HH:MM")."""
        body = self.model_dump(mode="json")
        body["awake"] = {day: [[_clock(a), _clock(b)] for a, b in self.awake[day]] for day in DAYS}
        return body


def _span(day: str, index: int, span: Any) -> Span:
    where = f"awake.{day}[{index}]"
    if not isinstance(span, list | tuple) or len(span) != 2:
        raise ValueError(f'{where}: a span is ["HH:MM", "HH:MM"]')
    if all(isinstance(part, int) for part in span):  # already parsed (minutes)
        start, end = int(span[0]), int(span[1])
    else:
        if not all(isinstance(part, str) and _CLOCK.match(part) for part in span):
            raise ValueError(f'{where}: times are "HH:MM" from 00:00 to 24:00')
        start, end = _minutes(span[0]), _minutes(span[1])
    if not 0 <= start < end <= 1440:
        raise ValueError(f"{where}: the span must start before it ends, within the day")
    return (start, end)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
