"""Every counter the drill reports can fire: each test builds the facts that must move it, and checks it moved."""

from __future__ import annotations

from typing import Any

from localmode.drill_report import DrillFacts, Timeline, summarise

T = 1_000.0


def _facts(**changes: Any) -> DrillFacts:
    """Two genuine notices, both started at once, drained and recorded; nothing hostile."""
    timeline = Timeline(
        put_at={"a": T, "b": T},
        ingest_at={"a": T + 0.1, "b": T + 0.1},
        started_at={"a": T + 0.5, "b": T + 0.5},
        drained={"a": T + 5, "b": T + 6},
    )
    facts = DrillFacts(
        timeline=timeline,
        statuses={"a": "SUCCEEDED", "b": "SUCCEEDED"},
        results={
            "a": ({"outcome": "replaced-and-drained", "drained": True}, T + 7),
            "b": ({"outcome": "replaced-and-drained", "drained": True}, T + 8),
        },
    )
    for name, value in changes.items():
        setattr(facts, name, value)
    return facts


def test_a_clean_run_counts_nothing_wrong() -> None:
    counted = summarise(_facts())
    assert (counted["executions_started"], counted["executions_succeeded"]) == (2, 2)
    assert counted["drains_incomplete"] == counted["deadline_misses"] == counted["hostile_started"] == 0
    assert counted["latency_ms"]["event_to_drained_p99"] == 6000.0


def test_an_execution_that_ended_without_draining_is_not_a_success_and_its_drain_still_counts() -> None:
    facts = _facts()
    facts.results["b"] = ({"outcome": "drained-partially", "drained": False}, T + 110)
    del facts.timeline.drained["b"]  # the drain never reported done: measured at the workflow's end
    counted = summarise(facts)
    assert (counted["executions_succeeded"], counted["drains_incomplete"]) == (1, 1)
    assert counted["latency_ms"]["event_to_drained_p99"] == 110_000.0


def test_a_failed_execution_is_incomplete_and_an_unfinished_one_is_reported() -> None:
    counted = summarise(_facts(statuses={"a": "FAILED", "b": "RUNNING"}))
    assert (counted["executions_succeeded"], counted["drains_incomplete"], counted["executions_unfinished"]) == (
        0,
        1,
        1,
    )


def test_a_start_after_the_two_minute_warning_or_no_start_at_all_is_a_deadline_miss() -> None:
    facts = _facts()
    facts.timeline.started_at["a"] = T + 121
    del facts.timeline.started_at["b"]
    assert summarise(facts)["deadline_misses"] == 2


def test_a_hostile_message_that_started_an_execution_is_counted() -> None:
    counted = summarise(_facts(statuses={"a": "SUCCEEDED", "b": "SUCCEEDED", "h1": "SUCCEEDED"},
                               hostile_ids={"h1", "h2"}, hostile_sent=3))  # fmt: skip
    assert (counted["hostile_sent"], counted["hostile_started"], counted["executions_started"]) == (3, 1, 3)
