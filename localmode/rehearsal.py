"""`cloudoptim local rehearsal`: a mass interruption of one pool, across tenants, through the real ingest path.

What runs as in AWS: the SaaS queue (each message the EventBridge event EC2 would send, from the tenant's own
account), the SQS poller's batches and redrive, the ingest Lambda with its claims, registry reads, hive-mind flags,
records and escalation, and StartExecution. What is simplified, and why: executions are *started* (Step Functions
accepts and lists them) but not interpreted. Five thousand DrainAndReplace workflows each choose, launch, cordon
and drain in Lambdas of their own in AWS; on one process they would measure this machine, not the design. The
notices go straight onto the queue (EventBridge's delivery is the drill's subject, not this one's), and every
instance is registered directly in the registry (no Kubernetes nodes behind them).

Faults: a share of notices has its DynamoDB writes throttled (localmode.faults: ProvisionedThroughputExceeded and
ThrottlingException answers), some fewer times than the SDK retries, some more, so the SQS redelivery retries them.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.backend.execution import Execution

from cloudoptim.adapters.aws import tables
from cloudoptim.adapters.aws.hive_mind import CUSTOMER_PREFIX, RECORD_PREFIX, DynamoHiveMind
from cloudoptim.adapters.aws.registry import DynamoRegistry
from cloudoptim.adapters.aws.tables import HiveMindItem
from cloudoptim.interruptions.ports import TenantRecord
from engines.interruption.hive import HivePool
from localmode.drill_events import INTERRUPTION
from localmode.drill_report import cpu_ms_per_notice, execution_times, ingest_starts, percentile
from localmode.faults import THROTTLES, FaultInjector
from localmode.stack import LocalStack
from localmode.tenant import put_items

POOL_ZONE, POOL_AZ_ID, POOL_TYPE = "eu-west-1a", "euw1-az1", "m5.xlarge"
SDK_ABSORBED = 2  # throttles the SDK's own retries absorb; THROTTLES exceed them (the invocation fails, SQS retries)


@dataclass(frozen=True)
class RehearsalSettings:
    notices: int = 1000
    tenants: int = 10
    window_seconds: float = 120.0
    duplicates: float = 0.05  # share of sends that re-deliver an earlier notice
    throttled: float = 0.05  # share of unique notices whose DynamoDB writes are throttled
    seed: int = 7
    settle_timeout_seconds: float = 600.0


def _started_not_run(execution: Execution) -> None:
    """Step Functions accepted and lists the execution; its states are not interpreted (module docstring)."""
    execution.exec_status = ExecutionStatus.RUNNING


def hive_key(region: str) -> str:
    return HivePool(region, POOL_AZ_ID, POOL_TYPE).key


def _ms(values: list[float], share: float) -> float | None:
    found = percentile(values, share)
    return None if found is None else round(found * 1000, 1)


def tenant_record(index: int, region: str) -> TenantRecord:
    account = f"2{index:011d}"
    return TenantRecord(f"rehearsal-{index:03d}", account, f"arn:aws:iam::{account}:role/CloudOptimAccess", (region,))


def notice_body(event_id: str, instance_id: str, account: str, region: str, at: float) -> str:
    """The event as EventBridge delivers it to the queue: EC2's interruption warning from the tenant's account."""
    return json.dumps(
        {
            "version": "0", "id": event_id, "detail-type": INTERRUPTION, "source": "aws.ec2", "account": account,
            "time": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
            "resources": [f"arn:aws:ec2:{region}:{account}:instance/{instance_id}"],
            "detail": {"instance-id": instance_id, "instance-action": "terminate"},
        }
    )  # fmt: skip


@dataclass
class Rehearsal:
    stack: LocalStack
    settings: RehearsalSettings
    faults: FaultInjector = field(default_factory=FaultInjector)
    sent_at: dict[str, float] = field(default_factory=dict)  # unique event id -> SendMessage time
    bodies: list[str] = field(default_factory=list)
    duplicates_sent: int = 0
    accepted: int = 0

    def run(self) -> dict[str, Any]:
        assert self.stack.deployed is not None
        s = self.settings
        rng = random.Random(s.seed)
        instances = self._register(rng)
        unique = len(instances)
        throttled = rng.sample(range(unique), round(unique * s.throttled))
        plan = {index: (SDK_ABSORBED if n % 2 else THROTTLES) for n, index in enumerate(throttled)}
        original_start = Execution.start
        Execution.start = _started_not_run  # type: ignore[method-assign,assignment]
        # a shared stack's earlier drills: not ours to count
        earlier = {str(e["name"]) for e in self.stack.drain_executions()}
        restore = self.faults.install(self.stack.aws, self._table_clients())
        began = time.time()
        try:
            self._send(instances, plan, rng, began)
            statuses = self._settle()
        finally:
            restore()
            Execution.start = original_start  # type: ignore[method-assign]
        ours = {name: status for name, status in statuses.items() if name not in earlier}
        return self._report(ours, began, time.time() - began)

    def _table_clients(self) -> list[Any]:
        """The botocore clients pynamodb already made for the tables ingest writes (one per table and process): on
        a stack an earlier drill warmed, the throttling hook must reach them too, not only clients made from now."""
        assert self.stack.deployed is not None
        aws, names = self.stack.aws, self.stack.deployed.tables
        models = (tables.idempotency_model(names["IDEMPOTENCY_TABLE"], aws.endpoint_url, aws.region),
                  tables.hive_mind_model(names["HIVE_MIND_TABLE"], aws.endpoint_url, aws.region))  # fmt: skip
        return [model._get_connection().connection.client for model in models]

    def _register(self, rng: random.Random) -> list[tuple[str, TenantRecord]]:
        """T tenants, each its own account, and N - duplicates instances of theirs in one pool."""
        assert self.stack.deployed is not None
        s, region = self.settings, self.stack.aws.region
        table = self.stack.deployed.tables["REGISTRY_TABLE"]
        registry = DynamoRegistry(tables.registry_model(table, self.stack.aws.endpoint_url, region))
        tenants = [tenant_record(i, region) for i in range(s.tenants)]
        for tenant in tenants:
            registry.register_tenant(tenant)
        unique = s.notices - round(s.notices * s.duplicates)
        owners = [(f"i-{rng.getrandbits(64):017x}", tenants[n % len(tenants)]) for n in range(unique)]
        put_items(self.stack.aws, table, [
            {"pk": f"INSTANCE#{instance}", "sk": "NODE", "tenant_id": tenant.tenant_id, "cluster": "rehearsal",
             "node_name": f"ip-{n}.{region}.compute.internal", "node_group": "spot", "region": region,
             "availability_zone": POOL_ZONE, "az_id": POOL_AZ_ID, "instance_type": POOL_TYPE, "capacity_type": "spot"}
            for n, (instance, tenant) in enumerate(owners)
        ])  # fmt: skip
        return owners

    def _send(
        self, owners: list[tuple[str, TenantRecord]], plan: dict[int, int], rng: random.Random, began: float
    ) -> None:
        """Every notice within the window at an even pace, ten a SendMessageBatch; duplicates re-send a body."""
        assert self.stack.deployed is not None
        s, region, sqs = self.settings, self.stack.aws.region, self.stack.aws.client("sqs")
        duplicates = s.notices - len(owners)
        order = ["new"] * len(owners) + ["again"] * duplicates
        rng.shuffle(order)
        if order and order[0] == "again":  # a duplicate repeats something already sent
            first = order.index("new")
            order[0], order[first] = order[first], order[0]
        pace = s.window_seconds / max(1, s.notices)
        position = 0
        fresh = iter(enumerate(owners))
        while position < len(order):
            due = began + position * pace
            while time.time() < due:
                time.sleep(min(0.01, due - time.time()))
            batch = []
            for kind in order[position : position + 10]:
                if kind == "again" and self.bodies:
                    batch.append(rng.choice(self.bodies))
                    self.duplicates_sent += 1
                    continue
                index, (instance, tenant) = next(fresh)
                event_id = str(uuid.uuid4())
                if index in plan:
                    self.faults.plan_write_throttle(event_id, plan[index])
                body = notice_body(event_id, instance, tenant.account_id, region, time.time())
                self.bodies.append(body)
                self.sent_at[event_id] = time.time()
                batch.append(body)
            entries = [{"Id": str(n), "MessageBody": b} for n, b in enumerate(batch)]
            answer = sqs.send_message_batch(QueueUrl=self.stack.deployed.queue_url, Entries=entries)
            self.accepted += len(answer.get("Successful", []))
            position += len(batch)

    def _settle(self) -> dict[str, str]:
        """Until the queue is drained and every notice has its execution. Executions are listed only once the queue
        is empty: listing thousands of them is itself seconds of CPU, taken from the ingest being measured."""
        deadline = time.time() + self.settings.settle_timeout_seconds
        wanted = set(self.sent_at)
        while True:
            late = time.time() > deadline
            if self.stack.queue_empty() or late:
                _, status = execution_times(self.stack.drain_executions())
                if wanted <= set(status) or late:
                    return status
            time.sleep(1.0)

    def _hive_model(self) -> type[HiveMindItem]:
        assert self.stack.deployed is not None
        table, aws = self.stack.deployed.tables["HIVE_MIND_TABLE"], self.stack.aws
        return tables.hive_mind_model(table, aws.endpoint_url, aws.region)

    def _hive(self) -> dict[str, int]:
        """The pool's items: one flag and one customer item per tenant, one record per interruption."""
        counts = {"flags_written": 0, "records_written": 0, "customer_items": 0}
        for item in self._hive_model().query(hive_key(self.stack.aws.region)):
            kind = "records_written" if item.tenant_id.startswith(RECORD_PREFIX) else "flags_written"
            counts["customer_items" if item.tenant_id.startswith(CUSTOMER_PREFIX) else kind] += 1
        return counts

    def _report(self, statuses: dict[str, str], began: float, seconds: float) -> dict[str, Any]:
        assert self.stack.deployed is not None
        executions = self.stack.drain_executions()
        started_at, _ = execution_times(executions)
        wanted = set(self.sent_at)
        started = {name for name in statuses if name in wanted}
        journal = self.stack.aws.journal.records("ingest")
        ingest_at = {k: v for k, v in ingest_starts(journal).items() if k in wanted}
        to_start = [started_at[i] - ingest_at[i] for i in started if i in ingest_at]
        from_notice = [started_at[i] - self.sent_at[i] for i in started]
        throttled = set(self.faults.throttled_writes)
        clean = [started_at[i] - ingest_at[i] for i in started - throttled if i in ingest_at]
        deliveries: dict[str, int] = {}
        for record in journal:
            for message in record.event.get("Records", []) if isinstance(record.event, dict) else []:
                event_id = _event_id(message.get("body", ""))  # the shared stack's queue saw other drills' too
                if event_id in wanted:
                    deliveries[event_id] = deliveries.get(event_id, 0) + 1
        hive = self._hive()
        level = DynamoHiveMind(self._hive_model()).escalation(
            HivePool.parse(hive_key(self.stack.aws.region)), int(time.time())
        )
        return {
            "notices_sent": len(self.sent_at) + self.duplicates_sent,
            "notices_accepted": self.accepted,
            "unique_notices": len(wanted),
            "tenants": self.settings.tenants,
            "window_seconds": self.settings.window_seconds,
            "workflows_started": len(started),
            "lost": len(wanted - started),
            "duplicates_sent": self.duplicates_sent,
            "duplicates_suppressed": self.duplicates_sent - (len(statuses) - len(started)),
            "executions_total": len(statuses),
            "throttled_writes": sum(self.faults.throttled_writes.values()),
            "throttled_notices": len(throttled),
            "throttled_notices_started": len(throttled & started),
            "throttled_left_unretried": len(throttled - started),
            "redelivered_by_sqs": sum(1 for e in wanted if deliveries.get(e, 0) > 1),
            "dlq_messages": self._dlq(),
            "latency_ms": {
                "ingest_to_start_p50": _ms(to_start, 0.5),
                "ingest_to_start_p99": _ms(to_start, 0.99),
                "ingest_to_start_p99_not_throttled": _ms(clean, 0.99),  # the injected faults' retries apart
                "notice_to_start_p50": _ms(from_notice, 0.5),
                "notice_to_start_p99": _ms(from_notice, 0.99),
                "notice_to_start_max": _ms(from_notice, 1.0),
            },
            "started_within_120s": sum(1 for v in from_notice if v <= 120.0),
            "hive_mind": {
                "pool": hive_key(self.stack.aws.region),
                **hive,
                "level": level.level,
                "customers": level.customers,
            },
            "ingest_invocations": len(journal),
            "cpu_ms_per_notice": cpu_ms_per_notice(journal, began, len(wanted)),
            "duration_seconds": round(seconds, 1),
        }

    def _dlq(self) -> int:
        assert self.stack.deployed is not None
        attributes = self.stack.aws.client("sqs").get_queue_attributes(
            QueueUrl=self.stack.deployed.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])


def run_rehearsal(stack: LocalStack, settings: RehearsalSettings) -> dict[str, Any]:
    return Rehearsal(stack, settings).run()


def _event_id(body: str) -> str | None:
    """The notice's id, or None for a body that is not a notice (a hostile message an earlier drill sent)."""
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):  # malformed, or nested past the parser's depth
        return None
    return str(event["id"]) if isinstance(event, dict) and "id" in event else None
