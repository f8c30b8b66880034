"""A small tenant world for the interruption pipeline's tests: registry records, a Kubernetes cluster and
EventBridge notices shaped like the real ones.

The notices follow aws-node-termination-handler's examples (../shared/data/spot-events/nth-examples/):
same envelope and detail fields, with our own ids, times and instance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cloudoptim.interruptions.ingest import IngestDeps, IngestPolicy
from cloudoptim.interruptions.ports import ClusterRecord, NodeGroup, NodeRecord, TenantRecord
from tests.fakes.aws import (
    FakeAudit,
    FakeCloud,
    FakeExecutions,
    FakeIdempotency,
    FakeKubeConnector,
    FakePoolLocator,
    FakeRedelivery,
    FakeRegistry,
)
from tests.fakes.hive import FakeHiveMind
from tests.fakes.kube import FakeKube

REGION = "us-east-1"
TENANT = "acme"
ACCOUNT = "111122223333"
CLUSTER = "prod"
INSTANCE = "i-0b662ef9931388ba0"
NODE = "ip-10-0-1-23.ec2.internal"
T0 = 1_764_470_000  # 2025-11-30T02:33:20Z

TENANT_RECORD = TenantRecord(TENANT, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:role/CloudOptimAccess-{TENANT}", (REGION,))
EXTERNAL_ID = "ext-acme-Xq3vN8c2Lk7PzR1tY6wB9mJ4hD0sF5g"  # what the SaaS issued for the tenant (>= 32 characters)
NODE_GROUP = NodeGroup(
    "workers", "lt-0123456789abcdef0", "3", {"us-east-1a": "subnet-a", "us-east-1b": "subnet-b", "use1-az1": "subnet-c"}
)
CLUSTER_RECORD = ClusterRecord(
    TENANT, CLUSTER, "https://prod.eks.example", "LS0t", {"kind": "eks"}, {"workers": NODE_GROUP}
)
NODE_RECORD = NodeRecord(INSTANCE, TENANT, CLUSTER, NODE, "workers", REGION, "us-east-1a", "use1-az4", "m5.xlarge")


def iso(epoch: int) -> str:
    from cloudoptim.interruptions.execution import iso as _iso

    return _iso(epoch)


def spot_warning(
    event_id: str = "1e5527d7-bb36-4607-3370-4164db56a40e", instance: str = INSTANCE, at: int = T0
) -> dict[str, Any]:
    return {
        "version": "0", "id": event_id, "detail-type": "EC2 Spot Instance Interruption Warning", "source": "aws.ec2",
        "account": ACCOUNT, "time": iso(at), "region": REGION,
        "resources": [f"arn:aws:ec2:{REGION}:instance/{instance}"],
        "detail": {"instance-id": instance, "instance-action": "terminate"},
    }  # fmt: skip


def rebalance(event_id: str = "5d5555d5-dd55-5555-5555-5555dd55d55d", at: int = T0) -> dict[str, Any]:
    return {
        "version": "0", "id": event_id, "detail-type": "EC2 Instance Rebalance Recommendation", "source": "aws.ec2",
        "account": ACCOUNT, "time": iso(at), "region": REGION,
        "resources": [f"arn:aws:ec2:{REGION}:instance/{INSTANCE}"], "detail": {"instance-id": INSTANCE},
    }  # fmt: skip


def state_change(state: str, event_id: str = "7bf73129-1428-4cd3-a780-95db273d1602", at: int = T0) -> dict[str, Any]:
    return {
        "version": "0", "id": event_id, "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": ACCOUNT, "time": iso(at), "region": REGION,
        "resources": [f"arn:aws:ec2:{REGION}:instance/{INSTANCE}"], "detail": {"instance-id": INSTANCE, "state": state},
    }  # fmt: skip


def health(event_id: str = "7fb65329-1628-4cf3-a740-95fg457h1402", at: int = T0) -> dict[str, Any]:
    return {
        "version": "0", "id": event_id, "detail-type": "AWS Health Event", "source": "aws.health",
        "account": ACCOUNT, "time": iso(at), "region": REGION, "resources": [INSTANCE],
        "detail": {
            "eventArn": "arn:aws:health:region::event/id", "service": "EC2",
            "eventTypeCode": "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED", "eventTypeCategory": "scheduledChange",
            "startTime": "Sun, 30 Nov 2025 15:10:09 GMT",
            "affectedEntities": [{"entityValue": INSTANCE, "tags": {}}],
        },
    }  # fmt: skip


def sqs_batch(*bodies: dict[str, Any] | str) -> dict[str, Any]:
    records = []
    for i, body in enumerate(bodies):
        text = body if isinstance(body, str) else json.dumps(body)
        records.append(
            {
                "messageId": f"m-{i}", "receiptHandle": f"rh-{i}", "body": text, "attributes": {},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:000000000000:InterruptionQueue", "awsRegion": REGION,
            }
        )  # fmt: skip
    return {"Records": records}


def cluster_with_pods() -> FakeKube:
    """The interrupted node with a web deployment (PDB min 1 of 2), a DaemonSet pod and a finished job."""
    kube = FakeKube()
    kube.add_node(NODE, instance_id=INSTANCE, zone="us-east-1a")
    kube.add_node("ip-10-0-2-40.ec2.internal", instance_id="i-0000000000000feed", zone="us-east-1b")
    kube.add_pod("web", "web-1", NODE, labels={"app": "web"})
    kube.add_pod("web", "web-2", "ip-10-0-2-40.ec2.internal", labels={"app": "web"})
    kube.add_pdb("web", "web", {"app": "web"}, min_available=1)
    kube.add_pod("kube-system", "aws-node-x", NODE, owner_kind="DaemonSet")
    kube.add_pod("batch", "report-1", NODE, owner_kind="Job", phase="Succeeded")
    return kube


@dataclass
class World:
    registry: FakeRegistry = field(default_factory=FakeRegistry)
    hive: FakeHiveMind = field(default_factory=FakeHiveMind)
    idempotency: FakeIdempotency = field(default_factory=FakeIdempotency)
    executions: FakeExecutions = field(default_factory=FakeExecutions)
    locator: FakePoolLocator = field(default_factory=FakePoolLocator)
    audit: FakeAudit = field(default_factory=FakeAudit)
    cloud: FakeCloud = field(default_factory=FakeCloud)
    kube: FakeKubeConnector = field(default_factory=FakeKubeConnector)
    redelivery: FakeRedelivery = field(default_factory=FakeRedelivery)

    def ingest_deps(self) -> IngestDeps:
        return IngestDeps(self.registry, self.hive, self.idempotency, self.executions, self.locator)


def world() -> World:
    w = World()
    w.registry.add_tenant(TENANT_RECORD)
    w.registry.add_cluster(CLUSTER_RECORD)
    w.registry.add_node(NODE_RECORD)
    w.kube.clusters[CLUSTER] = cluster_with_pods()
    return w


POLICY = IngestPolicy(wait_seconds=0)
