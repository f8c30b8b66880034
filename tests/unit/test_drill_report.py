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


def test_cpu_per_notice_counts_the_handlers_not_the_emulator_answering_them() -> None:
    from localmode.drill_report import cpu_ms_by_function, cpu_ms_per_notice, emulator_cpu_ms_per_notice
    from localmode.lambda_runner import Invocation

    def ran(function: str, started: float, cpu: float, emulated: float) -> Invocation:
        return Invocation(function, function, started, started + 1, False, {}, {}, cpu, emulated)

    records = [ran("ingest", 10, 0.030, 0.020), ran("evict_pods", 11, 0.050, 0.010), ran("ingest", 1, 9.0, 0.0)]
    assert cpu_ms_per_notice(records, since=5, notices=2) == 25.0  # (10 + 40) ms over 2 notices; before 5: not counted
    assert emulator_cpu_ms_per_notice(records, since=5, notices=2) == 15.0
    assert cpu_ms_by_function(records, since=5, notices=2) == {"evict_pods": 20.0, "ingest": 5.0}
    assert cpu_ms_per_notice(records, since=5, notices=0) is None


def test_emulation_inside_an_invocation_is_counted_apart_and_nesting_stays_the_callers() -> None:
    import time

    from localmode import cpu

    def burn(seconds: float) -> None:
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            pass

    saved = cpu.swap(0.0)
    try:
        with cpu.emulating():
            burn(0.02)
            inner = cpu.swap(0.0)  # a Lambda invoked inside the emulator (SQS poller -> Invoke) counts its own
            with cpu.emulating():
                burn(0.01)
            assert 0.009 <= cpu.swap(inner) < 0.02
        assert cpu.emulator_seconds() >= 0.03  # the whole block, nested handler included, is the caller's emulation
    finally:
        cpu.swap(saved)
