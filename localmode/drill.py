"""`cloudoptim local drill`: notices through the real bus into the deployed pipeline, figures out.

Runs on a started `LocalStack`: sends the plan's notices with PutEvents on the SaaS bus (duplicates are
re-deliveries of an already delivered event to the queue), injects the planned faults (localmode.faults) and
hostile messages (localmode.hostile), waits until every unique notice's execution has ended, then reports what
happened, read from the emulators' own state and the execution history (localmode.drill_report).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cloudoptim.adapters.aws import tables
from cloudoptim.errors import CloudOptimError
from localmode.aws import ACCOUNT_ID
from localmode.drill_events import DrillPlan, notice_entry
from localmode.drill_report import (
    TERMINAL,
    DrillFacts,
    Timeline,
    cpu_ms_by_function,
    cpu_ms_per_notice,
    drained_at,
    emulator_cpu_ms_per_notice,
    execution_times,
    ingest_starts,
    models_used,
    outcomes,
    summarise,
)
from localmode.faults import FaultInjector
from localmode.hostile import hostile_messages
from localmode.kube_emulator.objects import ApiError
from localmode.reclaim import Reclaimer
from localmode.stack import LocalStack


class DrillError(CloudOptimError):
    """The drill could not run (no node left to interrupt, an event the bus refused)."""


@dataclass(frozen=True)
class DrillSettings:
    events: int = 100
    duplicates: float = 0.1
    seed: int = 7
    rate_per_second: float = 20.0  # notices per second at most
    max_in_flight: int = 48  # unique notices whose execution has not ended, at most
    settle_timeout_seconds: float = 300.0
    spot_only: bool = False  # AWS sends these notices to Spot instances only; the pipeline never checks
    faults: float = 0.0  # share of unique notices with a fault injected
    hostile: int = 0  # hostile messages put in front of ingest
    event_age_seconds: float = 0.0  # notices dated this much earlier (EventBridge delivering late)
    rebalance_share: float = 0.3  # of unique notices, rebalance recommendations (the rest: interruption warnings)


@dataclass
class _Baseline:
    kube: dict[str, int]
    replacements: int
    flags: int


@dataclass
class DrillRun:
    stack: LocalStack
    settings: DrillSettings
    clock: Callable[[], float] = time.time
    timeline: Timeline = field(default_factory=Timeline)
    targeted: set[str] = field(default_factory=set)
    duplicates_sent: int = 0
    hostile_ids: set[str] = field(default_factory=set)
    hostile_sent: int = 0
    faults: FaultInjector = field(default_factory=FaultInjector)
    _outcomes_before: int = 0
    _existing: set[str] = field(default_factory=set)  # executions listed before the drill: never its own

    def run(self) -> dict[str, Any]:
        assert self.stack.deployed is not None
        s = self.settings
        plan = DrillPlan.make(
            s.events, s.duplicates, s.seed, s.rebalance_share, fault_fraction=s.faults, hostile=s.hostile
        )
        self._outcomes_before = self.stack.aws.journal.count("record_outcome")
        self._existing = {str(e["name"]) for e in self.stack.drain_executions()}
        baseline = _Baseline(self.stack.kube.stats().as_dict(), self.stack.live.replacements, self._flags())
        began = self.clock()
        reclaimer = Reclaimer(self.stack.aws, self.stack.kube)
        reclaimer.start()
        restore = self.faults.install(self.stack.aws, [self._registry_client()])
        try:
            self._send_all(plan, began)
            statuses = self._settle(began)
        finally:
            restore()
            reclaimer.stop()
        report = self._report(plan, baseline, statuses, self.clock() - began, began)
        return {**report, "instances_reclaimed": reclaimer.reclaimed}

    def _registry_client(self) -> Any:
        """The botocore client pynamodb made for the registry table (shared by every in-process ingest)."""
        assert self.stack.deployed is not None
        aws = self.stack.aws
        model = tables.registry_model(self.stack.deployed.tables["REGISTRY_TABLE"], aws.endpoint_url, aws.region)
        return model._get_connection().connection.client

    def _send_all(self, plan: DrillPlan, began: float) -> None:
        events, sqs = self.stack.aws.client("events"), self.stack.aws.client("sqs")
        unique = 0
        hostile = list(plan.hostile_after)
        for position in range(plan.events):
            self._pace(began, position)
            if position in plan.duplicate_at:
                self._send_duplicate(sqs, position)
            else:
                self._send_notice(events, plan.kinds[unique], plan.faults.get(unique))
                unique += 1
            while hostile and hostile[0] <= position:
                hostile.pop(0)
                self._send_hostile(sqs)

    def _pace(self, began: float, position: int) -> None:
        due = began + position / self.settings.rate_per_second
        while self.clock() < due or self._in_flight() >= self.settings.max_in_flight:
            time.sleep(0.01)

    def _in_flight(self) -> int:
        ended = self.stack.aws.journal.count("record_outcome") - self._outcomes_before
        return len(self.timeline.put_at) - ended

    def _target(self) -> tuple[str, str]:
        deadline = self.clock() + 60
        while self.clock() < deadline:
            for instance_id, node in self.stack.live.snapshot().items():
                if self.settings.spot_only and node.capacity_type != "spot":
                    continue
                if instance_id not in self.targeted and not self._cordoned(node.name):
                    self.targeted.add(instance_id)
                    return instance_id, node.zone
            self.stack.live.wait_for_change(0.5)
        raise DrillError("no node left to interrupt: replacements did not join the cluster within 60 s")

    def _cordoned(self, name: str) -> bool:
        """A cordoned node is already being drained (an earlier notice): AWS would not warn about it again, and
        CloudOptim would rightly start nothing for it."""
        try:
            found = self.stack.kube.store.get_node(name)
        except ApiError:  # gone already
            return True
        return bool(found.get("spec", {}).get("unschedulable"))

    def _send_notice(self, events: Any, detail_type: str, fault: str | None) -> None:
        assert self.stack.deployed is not None
        instance_id, _ = self._target()
        if fault is not None:  # planned before the notice exists, so ingest cannot see it first
            self.faults.plan(instance_id, fault)
        sent = self.clock()
        dated = datetime.fromtimestamp(sent - self.settings.event_age_seconds, UTC)
        entry = notice_entry(
            self.stack.deployed.event_bus_name, detail_type, instance_id, self.stack.aws.region, ACCOUNT_ID, dated
        )
        answer = events.put_events(Entries=[entry])
        if answer.get("FailedEntryCount"):
            raise DrillError(f"the bus refused a notice: {answer['Entries']}")
        self.timeline.put_at[str(answer["Entries"][0]["EventId"])] = sent - self.settings.event_age_seconds

    def _send_duplicate(self, sqs: Any, position: int) -> None:
        """Deliver an earlier event again, as EventBridge may: the same body, so the same event id."""
        assert self.stack.deployed is not None
        earlier = list(self.timeline.put_at)[-32:]
        delivered = self.stack.aws.tap.delivered(earlier[position % len(earlier)])
        if delivered is None:
            raise DrillError("an event the drill sent never reached the queue")
        sqs.send_message(QueueUrl=self.stack.deployed.queue_url, MessageBody=delivered[1])
        self.duplicates_sent += 1

    def _send_hostile(self, sqs: Any) -> None:
        """One hostile message, aimed at a live node no genuine notice has targeted yet, straight onto the queue."""
        assert self.stack.deployed is not None
        live = [i for i in self.stack.live.snapshot() if i not in self.targeted] or list(self.stack.live.snapshot())
        index = self.hostile_sent
        [(_, body, event_id)] = hostile_messages(index + 1, live, self.stack.aws.region, ACCOUNT_ID, self.clock())[-1:]
        sqs.send_message(QueueUrl=self.stack.deployed.queue_url, MessageBody=body)
        self.hostile_sent += 1
        if event_id is not None:
            self.hostile_ids.add(event_id)

    def _settle(self, began: float) -> dict[str, str]:
        """Wait until each unique notice's execution ended (or the timeout). Returns name -> status of every
        execution started since the drill began, so a duplicate or a hostile message that slipped through counts."""
        deadline = self.clock() + self.settings.settle_timeout_seconds
        wanted = set(self.timeline.put_at)
        listed = 0.0
        while True:
            # Listing the executions costs CPU the workflows still running need: list when every notice's workflow
            # has recorded its outcome, and every 10 s in case one ended without doing so.
            ended = self.stack.aws.journal.count("record_outcome") - self._outcomes_before
            if ended < len(wanted) and self.clock() - listed < 10 and self.clock() <= deadline:
                time.sleep(0.5)
                continue
            listed = self.clock()
            started, status = execution_times(self.stack.drain_executions())
            mine = {name: s for name, s in status.items() if name in wanted}
            finished = len(mine) == len(wanted) and all(s in TERMINAL for s in mine.values())
            if (finished and self.stack.queue_empty()) or self.clock() > deadline:
                self.timeline.started_at = {k: v for k, v in started.items() if k in wanted}
                return {name: s for name, s in status.items()
                        if started.get(name, 0.0) >= began - 1.0 and name not in self._existing}  # fmt: skip
            time.sleep(0.5)

    def _flags(self) -> int:
        assert self.stack.deployed is not None
        table = self.stack.deployed.tables["HIVE_MIND_TABLE"]
        dynamodb = self.stack.aws.client("dynamodb")
        now = int(self.clock())
        return sum(
            1
            for page in dynamodb.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]
            if int(item.get("expires_at", {}).get("N", "0")) > now
        )

    def _dlq_messages(self) -> int:
        assert self.stack.deployed is not None
        attributes = self.stack.aws.client("sqs").get_queue_attributes(
            QueueUrl=self.stack.deployed.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def _report(
        self, plan: DrillPlan, baseline: _Baseline, statuses: dict[str, str], seconds: float, began: float
    ) -> dict[str, Any]:
        journal = self.stack.aws.journal
        wanted = set(self.timeline.put_at)
        self.timeline.ingest_at = {k: v for k, v in ingest_starts(journal.records("ingest")).items() if k in wanted}
        self.timeline.drained = {k: v for k, v in drained_at(journal.records("evict_pods")).items() if k in wanted}
        facts = DrillFacts(self.timeline, statuses, outcomes(journal.records("record_outcome")), self.hostile_ids,
                           self.hostile_sent)  # fmt: skip
        counted = summarise(facts)
        kube = self.stack.kube.stats().as_dict()
        return {
            "events_sent": plan.events,
            "unique_events": len(wanted),
            "duplicates_sent": self.duplicates_sent,
            "executions_started": counted["executions_started"],
            "executions_succeeded": counted["executions_succeeded"],
            "executions_unfinished": counted["executions_unfinished"],
            "drains_incomplete": counted["drains_incomplete"],
            "deadline_misses": counted["deadline_misses"],
            "faults_injected": self.faults.injected,
            "faults_by_kind": dict(sorted(self.faults.fired.items())),
            "hostile_sent": counted["hostile_sent"],
            "hostile_started": counted["hostile_started"],
            "pods_evicted": kube["evictions_granted"] - baseline.kube["evictions_granted"],
            "evictions_refused_by_pdb": kube["evictions_refused"] - baseline.kube["evictions_refused"],
            "pdb_violations": kube["pdb_violations"] - baseline.kube["pdb_violations"],
            "replacements_launched": self.stack.live.replacements - baseline.replacements,
            "hive_mind_flags": self._flags(),
            "dlq_messages": self._dlq_messages(),
            "latency_ms": counted["latency_ms"],
            "cpu_ms_per_notice": cpu_ms_per_notice(journal.records(), began, len(wanted)),
            "emulator_cpu_ms_per_notice": emulator_cpu_ms_per_notice(journal.records(), began, len(wanted)),
            "cpu_ms_per_notice_by_function": cpu_ms_by_function(journal.records(), began, len(wanted)),
            "model": models_used(journal.records("choose_replacement")),
            "duration_seconds": round(seconds, 1),
        }


def run_drill(stack: LocalStack, settings: DrillSettings) -> dict[str, Any]:
    return DrillRun(stack, settings).run()
