"""Hibernation schedules: transitions in UTC across both daylight-saving changes in two time zones, holidays,
pre-warm, spans joined across midnight, the skipped and repeated hours, and what the cluster should be now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from engines.hibernation.schedule import Schedule
from engines.hibernation.timeline import StateCode, desired, transitions

WEEKDAYS = {d: [["08:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def office(zone: str, prewarm: int = 0, holidays: tuple[str, ...] = ()) -> Schedule:
    return Schedule.model_validate(
        {"timezone": zone, "awake": WEEKDAYS, "prewarm_minutes": prewarm, "holidays": list(holidays)}
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def pairs(schedule: Schedule, start: str, days: int) -> list[tuple[str, str, str]]:
    return [(t.at, t.action.value, t.local) for t in transitions(schedule, at(start), days)]


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # Europe/Paris leaves CET (+01) for CEST (+02) on Sunday 2026-03-29.
        ("Europe/Paris", ("2026-03-27T06:30:00Z", "2026-03-27T07:30:00+01:00"),
         ("2026-03-30T05:30:00Z", "2026-03-30T07:30:00+02:00")),
        # America/New_York leaves EST (-05) for EDT (-04) on Sunday 2026-03-08.
        ("America/New_York", ("2026-03-06T12:30:00Z", "2026-03-06T07:30:00-05:00"),
         ("2026-03-09T11:30:00Z", "2026-03-09T07:30:00-04:00")),
    ],
)  # fmt: skip
def test_spring_forward_moves_utc_wakes_an_hour_earlier_with_prewarm(
    zone: str, before: tuple[str, str], after: tuple[str, str]
) -> None:
    found = pairs(office(zone, prewarm=30), before[0][:10] + "T00:00:00", 4)
    wakes = [(a, local) for a, action, local in found if action == "wake"]
    assert wakes == [before, after]


@pytest.mark.parametrize(
    ("zone", "friday_sleep", "monday_sleep"),
    [
        # Paris back to CET on Sunday 2026-10-25: 19:00 is 17:00Z before, 18:00Z after.
        ("Europe/Paris", "2026-10-23T17:00:00Z", "2026-10-26T18:00:00Z"),
        # New York back to EST on Sunday 2026-11-01: 19:00 is 23:00Z before, 00:00Z the next day after.
        ("America/New_York", "2026-10-30T23:00:00Z", "2026-11-03T00:00:00Z"),
    ],
)
def test_fall_back_moves_utc_sleeps_an_hour_later(zone: str, friday_sleep: str, monday_sleep: str) -> None:
    found = pairs(office(zone), friday_sleep[:10] + "T00:00:00", 5)
    sleeps = [a for a, action, _ in found if action == "sleep"]
    assert sleeps[:2] == [friday_sleep, monday_sleep]
    assert all(local.endswith("19:00:00" + local[-6:]) for _, action, local in found if action == "sleep")


@pytest.mark.parametrize(
    ("zone", "day", "start", "end"),
    [
        # Paris: 02:00-03:00 is skipped on 2026-03-29; a 01:00-05:00 span lasts 3 real hours.
        ("Europe/Paris", "2026-03-29", "2026-03-29T00:00:00Z", "2026-03-29T03:00:00Z"),
        # ... and 02:00-03:00 happens twice on 2026-10-25: the same span lasts 5 real hours.
        ("Europe/Paris", "2026-10-25", "2026-10-24T23:00:00Z", "2026-10-25T04:00:00Z"),
        ("America/New_York", "2026-03-08", "2026-03-08T06:00:00Z", "2026-03-08T09:00:00Z"),
        ("America/New_York", "2026-11-01", "2026-11-01T05:00:00Z", "2026-11-01T10:00:00Z"),
    ],
)
def test_a_span_through_the_changing_hour_keeps_its_wall_clock_ends(zone: str, day: str, start: str, end: str) -> None:
    schedule = Schedule.model_validate({"timezone": zone, "awake": {"sun": [["01:00", "05:00"]]}})
    found = pairs(schedule, start[:10] + "T12:00:00", 1) if start[:10] != day else pairs(schedule, day + "T00:00:00", 1)
    assert [(a, action) for a, action, _ in found] == [(start, "wake"), (end, "sleep")]


def test_a_skipped_start_time_means_the_moment_the_clocks_jump() -> None:
    schedule = Schedule.model_validate({"timezone": "Europe/Paris", "awake": {"sun": [["02:30", "04:00"]]}})
    found = pairs(schedule, "2026-03-29T00:00:00", 1)
    assert found[0] == ("2026-03-29T01:00:00Z", "wake", "2026-03-29T03:00:00+02:00")


def test_holidays_have_no_transitions_and_the_stretch_around_them_is_one_sleep() -> None:
    # 2026-12-25 is a Friday: asleep from Thursday 19:00 to Monday 28th (pre-warm 07:30).
    found = pairs(office("Europe/Paris", prewarm=30, holidays=("2026-12-25",)), "2026-12-24T00:00:00", 5)
    assert found == [
        ("2026-12-24T06:30:00Z", "wake", "2026-12-24T07:30:00+01:00"),
        ("2026-12-24T18:00:00Z", "sleep", "2026-12-24T19:00:00+01:00"),
        ("2026-12-28T06:30:00Z", "wake", "2026-12-28T07:30:00+01:00"),
        ("2026-12-28T18:00:00Z", "sleep", "2026-12-28T19:00:00+01:00"),
    ]
    without = pairs(office("Europe/Paris", prewarm=30), "2026-12-24T00:00:00", 5)
    assert ("2026-12-25T06:30:00Z", "wake", "2026-12-25T07:30:00+01:00") in without


def test_spans_touching_across_midnight_and_a_prewarm_over_midnight_make_one_stretch() -> None:
    weekend_batch = {"fri": [["20:00", "24:00"]], "sat": [["00:00", "24:00"]], "sun": [["00:00", "06:00"]],
                     "mon": [["00:30", "02:00"]]}  # fmt: skip
    schedule = Schedule.model_validate({"timezone": "UTC", "awake": weekend_batch, "prewarm_minutes": 45})
    found = pairs(schedule, "2026-05-01T00:00:00", 4)  # Friday
    assert [(a, action) for a, action, _ in found] == [
        ("2026-05-01T19:15:00Z", "wake"),
        ("2026-05-03T06:00:00Z", "sleep"),
        ("2026-05-03T23:45:00Z", "wake"),  # Monday's pre-warm starts on Sunday
        ("2026-05-04T02:00:00Z", "sleep"),
    ]


def test_desired_state_follows_prewarm_holidays_and_a_manual_wake() -> None:
    schedule = office("Europe/Paris", prewarm=30, holidays=("2026-12-25",))
    monday_0745 = int(at("2026-12-28T06:45:00").timestamp())
    assert desired(schedule, monday_0745).code is StateCode.PREWARM
    assert desired(schedule, monday_0745 + 3600).code is StateCode.SCHEDULED_AWAKE
    christmas_noon = int(at("2026-12-25T11:00:00").timestamp())
    state = desired(schedule, christmas_noon)
    assert (state.awake, state.code) == (False, StateCode.HOLIDAY)
    assert state.until == int(at("2026-12-28T06:30:00").timestamp())
    woken = desired(schedule, christmas_noon, manual_wake_until=christmas_noon + 7200)
    assert (woken.awake, woken.code, woken.until) == (True, StateCode.MANUAL_WAKE, christmas_noon + 7200)
    assert desired(schedule, christmas_noon, manual_wake_until=christmas_noon - 1).awake is False
    off = Schedule.model_validate({**schedule.as_json(), "enabled": False})
    assert desired(off, christmas_noon).code is StateCode.DISABLED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"awake": {"mon": [["19:00", "08:00"]]}}, "awake"),
        ({"awake": {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}}, "awake"),
        ({"awake": {"mon": [["8:00", "12:00"]]}}, "awake"),
        ({"awake": {"someday": []}}, "awake"),
        ({"prewarm_minutes": 500}, "prewarm_minutes"),
        ({"holidays": ["2026-02-30"]}, "holidays"),
        ({"exclusions": {"namespaces": ["Not_A_Namespace"]}}, "exclusions"),
    ],
)
def test_bad_schedules_are_refused_naming_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Schedule.model_validate(body)
    assert str(caught.value.errors()[0]["loc"][0]) == field


def test_a_schedule_round_trips_through_its_json() -> None:
    schedule = office("America/New_York", prewarm=15, holidays=("2026-07-03",))
    assert Schedule.model_validate(schedule.as_json()) == schedule
