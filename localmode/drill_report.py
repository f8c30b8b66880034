"""The drill's figures, measured from timestamps and results the pieces record themselves.

PutEvents time (taken by the drill just before the call) -> ingest start (the in-process runner's journal,
first invocation whose SQS batch carries the event id) -> execution start (Step Functions' startDate) ->
drain end (end of the first `evict_pods` invocation of that event that returned "done" or "give-up"; for a
workflow that never got there, the end of its RecordOutcome: every drain counts, finished or not).

`summarise` turns those facts into the report's counters; tests/unit/test_drill_report.py makes each one fire.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from localmode.lambda_runner import Invocation


def percentile(values: Iterable[float], share: float) -> float | None:
    """Nearest-rank percentile, None when there is nothing to measure.

    >>> percentile([1, 2, 3, 4], 0.5), percentile([1, 2, 3, 4], 0.99), percentile([], 0.5)
    (2, 4, None)
    """
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _ms(values: list[float], share: float) -> float | None:
    found = percentile(values, share)
    return None if found is None else round(found * 1000, 1)


def ingest_starts(records: Iterable[Invocation]) -> dict[str, float]:
    """Event id -> start of the first ingest invocation whose batch carried it."""
    first: dict[str, float] = {}
    for record in records:
        for message in (record.event or {}).get("Records", []) if isinstance(record.event, dict) else []:
            try:
                event_id = str(json.loads(message.get("body", "{}")).get("id"))
            except (ValueError, AttributeError, RecursionError):  # hostile bodies: malformed, deeply nested
                continue
            first[event_id] = min(first.get(event_id, record.started), record.started)
    return first


def drained_at(records: Iterable[Invocation]) -> dict[str, float]:
    """Event id -> end of the first `evict_pods` invocation that ended the drain (done, or given up)."""
    done: dict[str, float] = {}
    for record in records:
        result, event = record.result, record.event
        if record.errored or not isinstance(result, dict) or not isinstance(event, dict):
            continue
        if result.get("step") in ("done", "give-up") and event.get("event_id"):
            key = str(event["event_id"])
            done[key] = min(done.get(key, record.ended), record.ended)
    return done


def outcomes(records: Iterable[Invocation]) -> dict[str, tuple[dict[str, Any], float]]:
    """Event id -> (the Outcome RecordOutcome returned last, when it returned)."""
    found: dict[str, tuple[dict[str, Any], float]] = {}
    for record in sorted(records, key=lambda r: r.ended):
        if not record.errored and isinstance(record.result, dict) and isinstance(record.event, dict):
            found[str(record.event.get("event_id"))] = (record.result, record.ended)
    return found


@dataclass
class Timeline:
    put_at: dict[str, float] = field(default_factory=dict)  # unique event id -> PutEvents time
    ingest_at: dict[str, float] = field(default_factory=dict)
    started_at: dict[str, float] = field(default_factory=dict)
    drained: dict[str, float] = field(default_factory=dict)

    def latency_ms(self) -> dict[str, float | None]:
        ids = list(self.put_at)
        ingest_to_start = [
            self.started_at[i] - self.ingest_at[i] for i in ids if i in self.started_at and i in self.ingest_at
        ]
        to_ingest = [self.ingest_at[i] - self.put_at[i] for i in ids if i in self.ingest_at]
        to_drained = [self.drained[i] - self.put_at[i] for i in ids if i in self.drained]  # every drain that ended
        return {
            "ingest_to_start_p50": _ms(ingest_to_start, 0.5),
            "ingest_to_start_p99": _ms(ingest_to_start, 0.99),
            "event_to_drained_p50": _ms(to_drained, 0.5),
            "event_to_drained_p99": _ms(to_drained, 0.99),
            "event_to_ingest_p50": _ms(to_ingest, 0.5),
            "event_to_ingest_p99": _ms(to_ingest, 0.99),
        }


def execution_times(executions: Iterable[Mapping[str, Any]]) -> tuple[dict[str, float], dict[str, str]]:
    """Execution name -> start (epoch s) and -> status, from ListExecutions."""
    started: dict[str, float] = {}
    status: dict[str, str] = {}
    for execution in executions:
        start = execution.get("startDate")
        if isinstance(start, datetime):
            started[str(execution["name"])] = start.timestamp()
        status[str(execution["name"])] = str(execution.get("status"))
    return started, status


TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
SPOT_WARNING_SECONDS = 120.0


@dataclass
class DrillFacts:
    """What the drill observed, keyed by event id (= execution name for the drill's UUID event ids)."""

    timeline: Timeline
    statuses: dict[str, str]  # every execution started since the drill began -> its status
    results: dict[str, tuple[dict[str, Any], float]]  # event id -> RecordOutcome's Outcome and when
    hostile_ids: set[str] = field(default_factory=set)
    hostile_sent: int = 0


def summarise(facts: DrillFacts) -> dict[str, Any]:
    """The report's counters. An execution succeeded only if it ended SUCCEEDED *and* drained the node; a
    genuine notice misses its deadline when its execution started more than 120 s after the event, or never."""
    genuine = set(facts.timeline.put_at)
    ended = {n for n, s in facts.statuses.items() if s in TERMINAL}
    drained = {
        n
        for n in ended
        if facts.statuses[n] == "SUCCEEDED" and facts.results.get(n, ({}, 0.0))[0].get("drained") is True
    }
    timeline = facts.timeline
    for event_id in genuine - set(timeline.drained):  # a drain that never ended: at the workflow's end
        if event_id in facts.results:
            timeline.drained[event_id] = facts.results[event_id][1]
    late = [i for i in genuine if timeline.started_at.get(i, float("inf")) - timeline.put_at[i] > SPOT_WARNING_SECONDS]
    return {
        "executions_started": len(facts.statuses),
        "executions_succeeded": len(drained),
        "executions_unfinished": len(facts.statuses) - len(ended),
        "drains_incomplete": len(ended - drained),
        "deadline_misses": len(late),
        "hostile_sent": facts.hostile_sent,
        "hostile_started": len(facts.hostile_ids & set(facts.statuses)),
        "latency_ms": timeline.latency_ms(),
    }


def cpu_ms_per_notice(records: Iterable[Invocation], since: float, notices: int) -> float | None:
    """Product CPU per genuine notice: the CPU time of every function invocation that started since `since` (the
    invoking thread's, cold starts included), less what the in-process AWS emulator spent answering those
    invocations' own calls (localmode.cpu), divided by the unique notices sent. Not counted: moto's emulation,
    the Step Functions interpreter, the Kubernetes emulator's server threads, the drill and the SQS poller."""
    if notices <= 0:
        return None
    total = sum(r.product_seconds for r in records if r.started >= since)
    return round(total * 1000 / notices, 1)


def emulator_cpu_ms_per_notice(records: Iterable[Invocation], since: float, notices: int) -> float | None:
    """The emulator's share inside the same invocations, per genuine notice (shown apart, never as product cost)."""
    if notices <= 0:
        return None
    total = sum(r.emulator_seconds for r in records if r.started >= since)
    return round(total * 1000 / notices, 1)


def cpu_ms_by_function(records: Iterable[Invocation], since: float, notices: int) -> dict[str, float]:
    """Product CPU per genuine notice, split by function (where the cost per notice goes)."""
    totals: dict[str, float] = {}
    for r in records:
        if r.started >= since:
            totals[r.function] = totals.get(r.function, 0.0) + r.product_seconds
    return {name: round(seconds * 1000 / max(1, notices), 1) for name, seconds in sorted(totals.items())}


def models_used(records: Iterable[Invocation]) -> str | None:
    """The risk model the replacement choices used (`heuristic` when none was active); several joined by `,`."""
    found = sorted(
        {str(r.result.get("model") or "heuristic") for r in records if not r.errored and isinstance(r.result, dict)}
    )
    return ",".join(found) if found else None
