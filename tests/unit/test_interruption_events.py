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
    assert (c.kind, c.action, c.deadline, c.flag_pool) == ("interruption", "drain_now", T + 120, True)
    assert any("120 s" in r for r in c.reasons)


def test_rebalance_replaces_first_then_drains_without_flagging() -> None:
    c = classify(Notice(REBALANCE, "i-1", T))
    assert (c.kind, c.action, c.flag_pool) == ("rebalance", "replace_then_drain", False)
    assert c.deadline == T + ClassifyPolicy().voluntary_drain_seconds


def test_scheduled_change_is_like_a_rebalance_with_its_start_as_deadline() -> None:
    c = classify(Notice(HEALTH, "i-1", T, "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED", start_time=T + 86400))
    assert (c.kind, c.action, c.deadline) == ("scheduled-change", "replace_then_drain", T + 86400)


def test_scheduled_change_in_the_past_still_gets_a_drain_budget() -> None:
    c = classify(Notice(HEALTH, "i-1", T, None, start_time=T - 10))
    assert c.deadline == T + ClassifyPolicy().voluntary_drain_seconds


@pytest.mark.parametrize("state", ["stopping", "stopped", "shutting-down", "terminated"])
def test_ending_states_are_recorded_only(state: str) -> None:
    c = classify(Notice(STATE_CHANGE, "i-1", T, state))
    assert (c.kind, c.action, c.deadline, c.starts_workflow) == ("state-change", "record", None, True)


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


def health_notice(**facts: object) -> Notice:
    base: dict[str, object] = dict(source="aws.health", account="111122223333", service="EC2",
                                   category="scheduledChange", status="open")  # fmt: skip
    return Notice(HEALTH, "i-1", T, "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED", **(base | facts))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ({"category": "issue"}, "category 'issue' is not a scheduled change"),
        ({"category": "accountNotification"}, "category 'accountNotification' is not a scheduled change"),
        ({"service": "RDS"}, "AWS Health event for RDS, not EC2"),
        ({"status": "closed"}, "AWS Health event is closed"),
        ({"entity_status": "RESOLVED"}, "the instance's status in the event is RESOLVED"),
        ({"end_time": T - 60}, "the scheduled change ended 70 s ago"),
        ({"source": "com.example.test"}, "test event: source 'com.example.test'"),
        ({"account": "account id"}, "test event: account 'account id'"),
    ],
)
def test_health_events_that_are_not_an_open_ec2_scheduled_change_are_ignored(
    facts: dict[str, object], reason: str
) -> None:
    c = classify(health_notice(**facts), now=T + 10)
    assert (c.kind, c.action, c.flag_pool) == ("scheduled-change", "ignore", False)
    assert reason in c.reasons[0]


@pytest.mark.parametrize("status", ["open", "upcoming", None])
def test_open_or_upcoming_ec2_scheduled_change_replaces_then_drains(status: str | None) -> None:
    assert classify(health_notice(status=status, entity_status="PENDING"), now=T + 10).action == "replace_then_drain"


def test_event_age_is_judged_per_kind_and_configurable() -> None:
    warning = Notice(SPOT_INTERRUPTION, "i-1", T, "terminate", source="aws.ec2", account="111122223333")
    assert classify(warning, now=T + 600).action == "drain_now"
    old = classify(warning, now=T + 601)
    assert old.action == "ignore" and not old.flag_pool and "601 s old" in old.reasons[0]
    assert classify(warning, ClassifyPolicy(interruption_max_age_seconds=30), now=T + 31).action == "ignore"
    assert classify(Notice(SPOT_INTERRUPTION, "i-1", 0, "terminate"), now=T).action == "ignore"  # from 1970
    assert "in the future" in classify(warning, now=T - 301).reasons[0]
    rebalance = Notice(REBALANCE, "i-1", T)
    assert classify(rebalance, now=T + 3600).action == "replace_then_drain"
    assert classify(rebalance, now=T + 3601).action == "ignore"
    stopped = Notice(STATE_CHANGE, "i-1", T, "stopped")
    assert (classify(stopped, now=T + 86400).action, classify(stopped, now=T + 86401).action) == ("record", "ignore")
