"""When a schedule wakes and puts the cluster to sleep, in UTC, correct across daylight-saving changes.

Each local day's awake spans are turned into UTC instants with zoneinfo, then joined where they touch (a span
ending at 24:00 and the next day's starting at 00:00 are one stretch). A local time that does not exist (the hour
skipped when clocks go forward) means the moment the clocks jump: a span 02:30-04:00 on that day starts at 03:00
of the new offset. A repeated time (clocks going back) is its first occurrence (PEP 495's fold=0). Pre-warm moves
each wake earlier.

>>> from datetime import datetime, UTC
>>> s = Schedule.model_validate({"timezone": "Europe/Berlin", "awake": {"mon": [["08:00", "18:00"]]}})
>>> [(t.at, t.action.value) for t in transitions(s, datetime(2026, 3, 30, tzinfo=UTC), days=1)]
[('2026-03-30T06:00:00Z', 'wake'), ('2026-03-30T16:00:00Z', 'sleep')]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from engines.hibernation.schedule import DAYS, Schedule
from engines.pricing.coverage import Interval, merge

MINUTE = 60


class Action(StrEnum):
    WAKE = "wake"
    SLEEP = "sleep"


class StateCode(StrEnum):
    """Why the cluster should be awake or asleep now."""

    SCHEDULED_AWAKE = "scheduled-awake"
    PREWARM = "prewarm"
    SCHEDULED_ASLEEP = "scheduled-asleep"
    HOLIDAY = "holiday"
    MANUAL_WAKE = "manual-wake"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class Transition:
    at: str  # UTC, ISO-8601 with Z; a wake includes the pre-warm
    action: Action
    local: str  # the same instant in the schedule's time zone, with its offset


@dataclass(frozen=True, slots=True)
class Desired:
    """What the cluster should be at a moment, why, and until when."""

    awake: bool
    code: StateCode
    reason: str
    until: int | None  # the next scheduled change (epoch s), None when there is none in the next weeks


def awake_intervals(schedule: Schedule, start: int, end: int) -> tuple[Interval, ...]:
    """Awake stretches (epoch seconds, pre-warm included) overlapping [start, end), joined where they touch."""
    zone = schedule.zone
    first = datetime.fromtimestamp(start, zone).date() - timedelta(days=2)
    last = datetime.fromtimestamp(end, zone).date() + timedelta(days=2)
    holidays = set(schedule.holidays)
    found: list[Interval] = []
    day = first
    while day <= last:
        if day not in holidays:
            for begin, finish in schedule.awake[DAYS[day.weekday()]]:
                found.append(Interval(_instant(day, begin, schedule), _instant(day, finish, schedule)))
        day += timedelta(days=1)
    prewarm = schedule.prewarm_minutes * MINUTE
    return merge(Interval(i.start - prewarm, i.end) for i in found)


def _instant(day: date, minutes: int, schedule: Schedule) -> int:
    """Local wall time (minutes after midnight, 1440 = next midnight) -> epoch seconds."""
    if minutes >= 1440:
        day, minutes = day + timedelta(days=1), minutes - 1440
    wall = datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=schedule.zone)
    first = int(wall.timestamp())  # fold=0: a repeated time's first occurrence
    back = datetime.fromtimestamp(first, schedule.zone).replace(tzinfo=None)
    if back == wall.replace(tzinfo=None):
        return first
    # The time was skipped: fold=0 used the old offset and landed after the jump; the jump itself lies between
    # the two readings of the time. Find it (offsets change on whole seconds, the gap is at most a few hours).
    low, high = int(wall.replace(fold=1).timestamp()), first
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, schedule.zone).utcoffset() == wall.replace(fold=1).utcoffset():
            high = middle
        else:
            low = middle
    return high


def transitions(schedule: Schedule, start: datetime, days: int) -> list[Transition]:
    """Every wake and sleep in [start, start + days), in order."""
    begin = int(start.timestamp())
    end = int((start + timedelta(days=days)).timestamp())
    found: list[tuple[int, Action]] = []
    for interval in awake_intervals(schedule, begin, end):
        if begin <= interval.start < end:
            found.append((interval.start, Action.WAKE))
        if begin <= interval.end < end:
            found.append((interval.end, Action.SLEEP))
    return [Transition(_utc(at), action, _local(at, schedule)) for at, action in sorted(found)]


def desired(schedule: Schedule, now: int, manual_wake_until: int | None = None) -> Desired:
    """Awake or asleep at `now`: a manual wake-up in force wins, then the schedule (pre-warm included)."""
    if not schedule.enabled:
        return Desired(True, StateCode.DISABLED, "the schedule is disabled: the cluster stays awake", None)
    horizon = now + 8 * 24 * 3600
    intervals = awake_intervals(schedule, now, horizon)
    current = next((i for i in intervals if i.start <= now < i.end), None)
    upcoming = next((i.start for i in intervals if i.start > now), None)
    if manual_wake_until is not None and now < manual_wake_until:
        until = max(manual_wake_until, current.end if current else manual_wake_until)
        return Desired(True, StateCode.MANUAL_WAKE, f"woken by hand until {_utc(manual_wake_until)}", until)
    if current is not None:
        prewarm_end = current.start + schedule.prewarm_minutes * MINUTE
        if now < prewarm_end and schedule.prewarm_minutes:
            starts = _local(prewarm_end, schedule)
            reason = f"pre-warm: awake {schedule.prewarm_minutes} min before the span starting {starts}"
            return Desired(True, StateCode.PREWARM, reason, current.end)
        return Desired(
            True, StateCode.SCHEDULED_AWAKE, f"scheduled awake until {_local(current.end, schedule)}", current.end
        )
    today = datetime.fromtimestamp(now, schedule.zone).date()
    wakes = f"next wake {_local(upcoming, schedule)}" if upcoming is not None else "no wake in the next 8 days"
    if today in set(schedule.holidays):
        return Desired(False, StateCode.HOLIDAY, f"holiday {today.isoformat()}: asleep; {wakes}", upcoming)
    return Desired(False, StateCode.SCHEDULED_ASLEEP, f"scheduled asleep; {wakes}", upcoming)


def _utc(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(at: int, schedule: Schedule) -> str:
    return datetime.fromtimestamp(at, schedule.zone).isoformat()
