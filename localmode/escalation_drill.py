"""`cloudoptim local escalation-drill`: one Spot pool interrupted for three tenants in turn, a fourth running nodes
there, a fifth asking for recommendations; what the hive mind does about it, through the deployed stack.

On a started `LocalStack` the local tenant (the emulated cluster, policy `automatic`: windows always open, a budget
of ten nodes) is the fourth tenant, running Spot nodes in the drill's pool. Tenants `hive-a`, `hive-b`, `hive-c`
(interrupted) and `hive-e` (default policy: recommend) are registered beside it as the registry's items, each with
Spot nodes in the same pool; the interrupted three are in safe mode, so their own workflows decide and record but
touch nothing (their clusters are the local one's document under their names: nothing of theirs runs there).

Interruption warnings go through the real bus, ingest, the hive mind, the escalation event, `rebalance_pool` and
DrainAndReplace. The report is read from the stores and the state machine's history: the level after each tenant
(`engines.interruption.hive.escalation` over the pool's records), the proactive executions by tenant and node, the
recommendations, and what a duplicate escalation event started (nothing, if the guards hold).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cloudoptim.adapters.aws import tables
from cloudoptim.adapters.aws.documents import DynamoDocuments, document_model
from cloudoptim.adapters.aws.escalations import DETAIL_TYPE, SOURCE, escalation_detail
from cloudoptim.adapters.aws.hive_mind import DynamoHiveMind
from cloudoptim.optimization.recommendations import RECOMMENDATION
from cloudoptim.tenancy import policies
from cloudoptim.tenancy.principal import Principal, Role
from engines.interruption.hive import HivePool, escalation
from localmode.aws import ACCOUNT_ID
from localmode.drill import DrillError
from localmode.drill_events import INTERRUPTION, notice_entry
from localmode.drill_report import TERMINAL
from localmode.hibernate_drill import HibernateDrill, HibernateDrillSettings
from localmode.kube_emulator.objects import ApiError
from localmode.stack import LocalStack
from localmode.tenant import document, put_items

INTERRUPTED = ("hive-a", "hive-b", "hive-c")
RECOMMEND = "hive-e"
ALWAYS_OPEN = {"timezone": "UTC", "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                               "start": "00:00", "end": "00:00"}]}  # fmt: skip
AUTOMATIC = {"automation": {"spot": "automatic"}, "maintenance_windows": ALWAYS_OPEN,
             "disruption_budget": {"max_nodes": 10}}  # fmt: skip


@dataclass(frozen=True)
class EscalationDrillSettings:
    step_timeout_seconds: float = 60.0  # for one notice to be recorded, and for the escalation to be acted on
    execution_timeout_seconds: float = 180.0  # for the proactive executions to end


@dataclass
class EscalationDrill:
    stack: LocalStack
    settings: EscalationDrillSettings = field(default_factory=EscalationDrillSettings)
    clock: Callable[[], float] = time.time

    def run(self) -> dict[str, Any]:
        stack = self.stack
        assert stack.deployed is not None and stack.tenant is not None
        pool, fourth = self._pool()
        registry = stack.deployed.tables["REGISTRY_TABLE"]
        aws = stack.aws
        hive = DynamoHiveMind(tables.hive_mind_model(stack.deployed.tables["HIVE_MIND_TABLE"], aws.endpoint_url,
                                                     aws.region))  # fmt: skip
        documents = DynamoDocuments(document_model(registry, aws.endpoint_url, aws.region))
        deps = HibernateDrill(stack, HibernateDrillSettings()).tenancy()
        admin = Principal(stack.tenant.tenant_id, "local-admin", "admin@local", Role.ADMIN)
        current = documents.get(stack.tenant.tenant_id, policies.POLICY, stack.tenant.cluster)
        policies.replace(deps, admin, stack.tenant.cluster, AUTOMATIC, current.version if current else 0,
                         int(self.clock()))  # fmt: skip
        others = {t: self._register(t, pool, 1) for t in INTERRUPTED} | {RECOMMEND: self._register(RECOMMEND, pool, 2)}
        levels = [self._interrupt(tenant, others[tenant][0], pool, hive) for tenant in INTERRUPTED]
        proactive = self._await_proactive(pool, fourth, documents)
        ended = self._await_ended([e["executionArn"] for e in proactive])
        before = len(self._proactive())
        duplicate = self._duplicate_escalation(pool, hive)
        by_tenant = Counter(str(e["input"]["tenant_id"]) for e in proactive)
        in_pool = set(fourth)
        recommendations = self._recommendations(documents)
        return {
            "pool": pool.key,
            "levels": levels,
            "proactive_executions": len(proactive),
            "proactive_for_interrupted_tenants": sum(by_tenant[t] for t in INTERRUPTED),
            "proactive_for_recommend_tenant": by_tenant[RECOMMEND],
            "proactive_outside_the_fourth_tenants_pool_nodes": sum(
                1 for e in proactive if e["input"]["instance_id"] not in in_pool
            ),
            "fourth_tenant_nodes_in_pool": len(fourth),
            "proactive_succeeded": sum(1 for status in ended.values() if status == "SUCCEEDED"),
            "fourth_tenant_pool_nodes_drained": sum(1 for i in fourth if self._drained(i)),
            "proactive_statuses": dict(Counter(ended.values())),
            "recommendations": sum(recommendations.values()),
            "recommendations_by_tenant": recommendations,
            "duplicate_escalation_new_executions": len(self._proactive()) - before,
            "duplicate_escalation_level": duplicate,
        }

    def _drained(self, instance_id: str) -> bool:
        """Read from the emulated cluster: the node is cordoned, or gone."""
        assert self.stack.tenant is not None
        try:
            node = self.stack.kube.store.get_node(self.stack.tenant.instances[instance_id].name)
        except ApiError:
            return True
        return bool(node.get("spec", {}).get("unschedulable"))

    def _pool(self) -> tuple[HivePool, list[str]]:
        """The pool where the local tenant runs the most Spot nodes, and those nodes' instance ids."""
        tenant = self.stack.tenant
        assert tenant is not None
        spot = {i: n for i, n in tenant.instances.items() if n.capacity_type == "spot" and tenant.az_ids.get(n.zone)}
        if not spot:
            raise DrillError("the local cluster runs no Spot node: nothing to escalate")
        pools = Counter((tenant.az_ids[n.zone], n.instance_type) for n in spot.values())
        (az_id, instance_type), _ = pools.most_common(1)[0]
        pool = HivePool(tenant.region, az_id, instance_type)
        nodes = sorted(i for i, n in spot.items() if (tenant.az_ids[n.zone], n.instance_type) == (az_id, instance_type))
        return pool, nodes

    def _register(self, tenant_id: str, pool: HivePool, nodes: int) -> list[str]:
        """Another tenant of the same account (local mode has one): META, safe mode for the interrupted ones, the
        local cluster's document under its name, `nodes` Spot instances in the pool with their registry items."""
        stack = self.stack
        assert stack.deployed is not None and stack.tenant is not None
        local = stack.tenant
        ec2 = stack.aws.client("ec2")
        zone = next(z for z, i in local.az_ids.items() if i == pool.az_id)
        group = next(iter(local.node_groups.values()))
        registry = stack.deployed.tables["REGISTRY_TABLE"]
        cluster = stack.aws.client("dynamodb").get_item(
            TableName=registry, Key={"pk": {"S": f"TENANT#{local.tenant_id}"}, "sk": {"S": f"CLUSTER#{local.cluster}"}}
        )["Item"]
        items: list[dict[str, Any]] = [
            {"pk": f"TENANT#{tenant_id}", "sk": "META", "account_id": ACCOUNT_ID, "role_arn": local.role_arn,
             "regions": [local.region]},
            {"pk": f"TENANT#{tenant_id}", "sk": f"CLUSTER#{local.cluster}", "doc": cluster["doc"]["S"], "version": 1,
             "created_at": 0, "updated_at": 0},
        ]  # fmt: skip
        if tenant_id in INTERRUPTED:
            items.append({"pk": f"TENANT#{tenant_id}", "sk": "SETTINGS#current", **document({"safe_mode": True})})
        instances = []
        for n in range(nodes):
            run = ec2.run_instances(
                LaunchTemplate={"LaunchTemplateId": group.launch_template_id, "Version": "$Default"},
                InstanceType=pool.instance_type, SubnetId=group.subnets[zone], MinCount=1, MaxCount=1,
                InstanceMarketOptions={"MarketType": "spot"},
            )  # fmt: skip
            instance = str(run["Instances"][0]["InstanceId"])
            instances.append(instance)
            items.append({
                "pk": f"INSTANCE#{instance}", "sk": "NODE", "tenant_id": tenant_id, "cluster": local.cluster,
                "node_name": f"{tenant_id}-node-{n}", "node_group": group.name, "region": pool.region,
                "availability_zone": zone, "az_id": pool.az_id, "instance_type": pool.instance_type,
                "capacity_type": "spot", "pool": pool.key, "seen_at": int(time.time()),
            })  # fmt: skip
        put_items(stack.aws, registry, items)
        return instances

    def _interrupt(self, tenant_id: str, instance_id: str, pool: HivePool, hive: DynamoHiveMind) -> str:
        """One interruption warning for the tenant's node; the pool's level once ingest has recorded it."""
        assert self.stack.deployed is not None
        entry = notice_entry(self.stack.deployed.event_bus_name, INTERRUPTION, instance_id, pool.region, ACCOUNT_ID)
        answer = self.stack.aws.client("events").put_events(Entries=[entry])
        if answer.get("FailedEntryCount"):
            raise DrillError(f"the bus refused a notice: {answer['Entries']}")
        deadline = self.clock() + self.settings.step_timeout_seconds
        while self.clock() < deadline:
            now = int(self.clock())
            records = hive.records_for_pool(pool, now)
            if any(r.tenant_id == tenant_id for r in records):
                return escalation(records, pool, now).level
            time.sleep(0.1)
        raise DrillError(f"{tenant_id}'s interruption was not recorded within {self.settings.step_timeout_seconds} s")

    def _proactive(self) -> list[dict[str, Any]]:
        """DrainAndReplace executions the hive mind started (RebalancePool names them `hive-<instance>-<time>`)."""
        assert self.stack.deployed is not None
        sfn = self.stack.aws.client("stepfunctions")
        found = []
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=self.stack.deployed.state_machine_arn)
        for page in pages:
            for execution in page["executions"]:
                if execution["name"].startswith("hive-i-"):
                    described = sfn.describe_execution(executionArn=execution["executionArn"])
                    found.append({**execution, "input": json.loads(described["input"])})
        return found

    def _recommendations(self, documents: DynamoDocuments) -> dict[str, int]:
        assert self.stack.tenant is not None
        counts = {}
        for tenant in (*INTERRUPTED, RECOMMEND, self.stack.tenant.tenant_id):
            page = documents.list(tenant, RECOMMENDATION, 100)
            counts[tenant] = sum(1 for d in page.items if d.body.get("sweep_id") == "hive-mind")
        return counts

    def _await_proactive(self, pool: HivePool, fourth: list[str], documents: DynamoDocuments) -> list[dict[str, Any]]:
        """Until every node of the fourth tenant in the pool has its execution and the fifth its recommendation."""
        deadline = self.clock() + self.settings.step_timeout_seconds
        while self.clock() < deadline:
            found = self._proactive()
            started = {e["input"]["instance_id"] for e in found}
            if set(fourth) <= started and self._recommendations(documents)[RECOMMEND]:
                return found
            time.sleep(0.2)
        return self._proactive()

    def _await_ended(self, arns: list[str]) -> dict[str, str]:
        sfn = self.stack.aws.client("stepfunctions")
        deadline = self.clock() + self.settings.execution_timeout_seconds
        statuses: dict[str, str] = {}
        while self.clock() < deadline:
            statuses = {arn: sfn.describe_execution(executionArn=arn)["status"] for arn in arns}
            if all(s in TERMINAL for s in statuses.values()):
                break
            time.sleep(0.3)
        return statuses

    def _duplicate_escalation(self, pool: HivePool, hive: DynamoHiveMind) -> str:
        """The same hand-over once more (EventBridge delivers at least once; ingest announces a confirmed pool
        with every further notice); waits until the queue is empty again."""
        assert self.stack.deployed is not None
        now = int(self.clock())
        level = escalation(hive.records_for_pool(pool, now), pool, now)
        entry = {"EventBusName": self.stack.deployed.event_bus_name, "Source": SOURCE, "DetailType": DETAIL_TYPE,
                 "Detail": json.dumps(escalation_detail(level)), "Resources": []}  # fmt: skip
        self.stack.aws.client("events").put_events(Entries=[entry])
        self._await_queue_empty()
        return level.level

    def _await_queue_empty(self) -> None:
        assert self.stack.deployed is not None
        sqs = self.stack.aws.client("sqs")
        function = self.stack.deployed.functions["rebalance_pool"]
        arn = next(m.queue_arn for m in self.stack.deployed.mappings if m.function_arn.endswith(f":{function}"))
        url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
        deadline = self.clock() + self.settings.step_timeout_seconds
        time.sleep(0.5)  # the bus delivers on its own thread
        while self.clock() < deadline:
            if self.stack.queue_empty(url):
                return
            time.sleep(0.2)
        raise DrillError("the escalation queue did not empty")


def run_escalation_drill(stack: LocalStack, settings: EscalationDrillSettings | None = None) -> dict[str, Any]:
    return EscalationDrill(stack, settings or EscalationDrillSettings()).run()
