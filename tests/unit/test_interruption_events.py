"""Classification of EC2 notices: kind, action, deadline, hive-mind flag."""

from __future__ import annotations

import pytest

from engines.interruption.events import (
    HEALTH,
    REBALANCE,
    SPOT_INTERRUPTION,
    STATE_CHANGE,
    ClassifyPolicy,
    Notice,
    classify,
)

T = 1_700_000_000


def test_interruption_warning_has_a_two_minute_deadline_and_flags_the_pool() -> None:
    c = classify(Notice(SPOT_INTERRUPTION, "i-1", T, "terminate"))
    assert (c.kind, c.action, c.deadline, c.flag_pool) == ("interruption", "drain-and-launch", T + 120, True)
    assert any("120 s" in r for r in c.reasons)


def test_rebalance_replaces_first_then_drains_without_flagging() -> None:
    c = classify(Notice(REBALANCE, "i-1", T))
    assert (c.kind, c.action, c.flag_pool) == ("rebalance", "replace-then-drain", False)
    assert c.deadline == T + ClassifyPolicy().voluntary_drain_seconds


def test_scheduled_change_is_like_a_rebalance_with_its_start_as_deadline() -> None:
    c = classify(Notice(HEALTH, "i-1", T, "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED", start_time=T + 86400))
    assert (c.kind, c.action, c.deadline) == ("scheduled-change", "replace-then-drain", T + 86400)


def test_scheduled_change_in_the_past_still_gets_a_drain_budget() -> None:
    c = classify(Notice(HEALTH, "i-1", T, None, start_time=T - 10))
    assert c.deadline == T + ClassifyPolicy().voluntary_drain_seconds


@pytest.mark.parametrize("state", ["stopping", "stopped", "shutting-down", "terminated"])
def test_ending_states_are_recorded_only(state: str) -> None:
    c = classify(Notice(STATE_CHANGE, "i-1", T, state))
    assert (c.kind, c.action, c.deadline, c.starts_workflow) == ("state-change", "record-only", None, True)


@pytest.mark.parametrize("state", ["pending", "running", None])
def test_routine_states_are_ignored(state: str | None) -> None:
    c = classify(Notice(STATE_CHANGE, "i-1", T, state))
    assert (c.kind, c.starts_workflow) == (None, False)


def test_unknown_detail_type_is_ignored_with_a_reason() -> None:
    c = classify(Notice("EC2 Instance-terminate Lifecycle Action", "i-1", T))
    assert not c.starts_workflow and "unknown detail type" in c.reasons[0]


def test_policy_can_flag_rebalances_too() -> None:
    policy = ClassifyPolicy(flag_kinds=frozenset({"interruption", "rebalance"}))
    assert classify(Notice(REBALANCE, "i-1", T), policy).flag_pool
