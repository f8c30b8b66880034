"""The scheduled jobs' AWS adapters on moto, through a tenant's role: the waste scan's EC2 inventory (instances,
volumes, Elastic IPs, flow-log presence) scanned twice with the first-seen record kept in between; EKS node groups
read, resized and described for discovery and hibernation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws.account_inventory import Ec2AccountInventory
from cloudoptim.adapters.aws.node_groups import EksNodeGroups
from cloudoptim.adapters.aws.secrets import SecretsExternalIds
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.adapters.day_zero import ON_DEMAND_FILE, shipped_data_dir
from cloudoptim.adapters.ebs_prices import load_ebs_prices
from cloudoptim.adapters.reference_data import load_on_demand
from cloudoptim.adapters.tenant_access import TenantAccounts
from cloudoptim.adapters.waste_price_source import StoredWastePrices
from cloudoptim.discovery.discover import discover_all
from cloudoptim.discovery.ports import DiscoveryDeps, NodeInfo
from cloudoptim.errors import KubeUnavailableError
from cloudoptim.tenancy.ports import Json
from cloudoptim.tenancy.tenants import INDEX, TENANT
from cloudoptim.waste.ports import WasteDeps
from cloudoptim.waste.scan import FINDINGS, FIRST_SEEN, scan_all
from tests.fakes.aws import FakeAudit, FakeRegistry
from tests.fakes.tenancy import MemoryDocuments

REGION, ACCOUNT, TENANT_ID = "eu-west-1", "123456789012", "acme"
DAY = 86400


@dataclass
class Nodes:
    """The cluster's nodes as its API lists them (the fake side of discovery and the waste scan)."""

    found: list[NodeInfo] = field(default_factory=list)

    def nodes(self, tenant: str, cluster: Json, account: Json) -> list[NodeInfo]:
        return list(self.found)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        role = boto3.client("iam").create_role(
            RoleName=f"CloudOptimAccess-{TENANT_ID}",
            AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}',
        )["Role"]["Arn"]
        secrets = boto3.client("secretsmanager")
        ids = StsSessions(SecretsExternalIds(secrets), boto3.client("sts"))
        SecretsExternalIds(secrets).issue(TENANT_ID)
        ec2 = boto3.client("ec2")
        image = ec2.describe_images(Owners=["amazon"], MaxResults=1)["Images"][0]["ImageId"]
        launched = [ec2.run_instances(ImageId=image, InstanceType=t, MinCount=1, MaxCount=1)["Instances"][0]
                    for t in ("m5.large", "m5.xlarge")]  # fmt: skip
        node, ghost = (i["InstanceId"] for i in launched)
        volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=100, VolumeType="gp3")["VolumeId"]
        address = ec2.allocate_address(Domain="vpc")["AllocationId"]
        yield {"role": role, "ids": ids, "node": node, "ghost": ghost, "volume": volume, "address": address}


def documents(role: str) -> MemoryDocuments:
    docs = MemoryDocuments()
    docs.create(INDEX, TENANT, TENANT_ID, {}, 0)
    docs.create(TENANT_ID, "account", ACCOUNT, {"aws_account_id": ACCOUNT, "regions": [REGION], "role_arn": role}, 0)
    docs.create(TENANT_ID, "cluster", "prod", {"name": "prod", "account_id": ACCOUNT, "region": REGION,
                                               "node_groups": {}}, 0)  # fmt: skip
    return docs


def test_the_waste_scan_reads_the_account_through_its_role_and_keeps_first_seen(aws: dict[str, Any]) -> None:
    docs, audit = documents(aws["role"]), FakeAudit()
    nodes = Nodes([NodeInfo("ip-10-0-0-1", aws["node"], f"{REGION}a", "m5.large", "on-demand", "general")])
    shipped = load_on_demand(shipped_data_dir() / ON_DEMAND_FILE)
    deps = WasteDeps(docs, audit, Ec2AccountInventory(TenantAccounts(aws["ids"])), nodes,
                     StoredWastePrices(None, shipped, load_ebs_prices()))  # fmt: skip
    now = int(time.time()) + 2 * DAY  # moto launched the instances "now": past the 24 h grace
    [first] = scan_all(deps, now)
    assert first.error is None
    stored = docs.get(TENANT_ID, FINDINGS, f"{ACCOUNT}@{REGION}")
    assert stored is not None
    kinds = {(f["kind"], f["resource_id"].split(":")[0]) for f in stored.body["findings"]}
    # moto gives instances in the default subnet a public address: the node's is a finding too
    assert kinds == {("ghost_instance", aws["ghost"]), ("unused_public_ipv4", aws["address"]),
                     ("unused_public_ipv4", aws["node"])}  # fmt: skip
    assert stored.body["not_assessed"][0]["reason"].startswith("no VPC flow logs on vpc-")
    first_seen = docs.get(TENANT_ID, FIRST_SEEN, f"{ACCOUNT}@{REGION}")
    assert first_seen is not None and first_seen.body == {aws["volume"]: now}
    [later] = scan_all(deps, now + 8 * DAY)
    stored = docs.get(TENANT_ID, FINDINGS, f"{ACCOUNT}@{REGION}")
    assert stored is not None
    assert ("zombie_volume", aws["volume"], 8.8) in {
        (f["kind"], f["resource_id"], f["monthly_cost"]) for f in stored.body["findings"]
    }
    assert later.monthly_waste == round(first.monthly_waste + 8.8, 2)
    entries = audit.documents(TENANT_ID)
    assert [(e["action"], e["dry_run"], e["target"]) for e in entries] == [
        ("waste.scan", True, {"account": ACCOUNT, "region": REGION})
    ] * 2


def test_an_unreachable_cluster_withholds_instance_findings(aws: dict[str, Any]) -> None:
    class Down:
        def nodes(self, tenant: str, cluster: Json, account: Json) -> list[NodeInfo]:
            raise KubeUnavailableError("API server unreachable")

    docs = documents(aws["role"])
    shipped = load_on_demand(shipped_data_dir() / ON_DEMAND_FILE)
    deps = WasteDeps(docs, FakeAudit(), Ec2AccountInventory(TenantAccounts(aws["ids"])), Down(),
                     StoredWastePrices(None, shipped, load_ebs_prices()))  # fmt: skip
    scan_all(deps, int(time.time()) + 2 * DAY)
    stored = docs.get(TENANT_ID, FINDINGS, f"{ACCOUNT}@{REGION}")
    assert stored is not None and not [f for f in stored.body["findings"] if f["kind"] == "ghost_instance"]
    assert any("prod: API server unreachable" in n["reason"] for n in stored.body["not_assessed"])


def test_node_groups_are_read_resized_and_described_through_eks(aws: dict[str, Any]) -> None:
    eks = boto3.client("eks")
    subnets = [boto3.client("ec2").describe_subnets()["Subnets"][0]["SubnetId"]]
    eks.create_cluster(name="prod", roleArn=aws["role"], resourcesVpcConfig={"subnetIds": subnets})
    eks.create_nodegroup(clusterName="prod", nodegroupName="general", nodeRole=aws["role"], subnets=subnets,
                         scalingConfig={"minSize": 2, "maxSize": 10, "desiredSize": 6}, capacityType="SPOT",
                         instanceTypes=["m5.large"], tags={"cloudoptim.io/hibernate": "true"})  # fmt: skip
    eks.create_nodegroup(clusterName="prod", nodegroupName="system", nodeRole=aws["role"], subnets=subnets,
                         scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2})  # fmt: skip
    groups = EksNodeGroups(eks, "prod")
    assert [(g.name, g.min_size, g.max_size, g.desired, g.opted_in) for g in groups.sizes([])] == [
        ("general", 2, 10, 6, True),
        ("system", 1, 3, 2, False),  # only the tagged group may be resized
    ]
    groups.resize("general", 0, 10, 0)
    assert groups.sizes(["general", "gone"])[0].desired == 0
    described = groups.describe_all()["general"]
    assert described["capacity_type"] == "spot" and described["instance_types"] == ["m5.large"]
    assert described["scaling"] == {"minSize": 0, "maxSize": 10, "desiredSize": 0}


def test_discovery_registers_node_instances_and_records_node_groups(aws: dict[str, Any]) -> None:
    docs = documents(aws["role"])
    registry = FakeRegistry()

    @dataclass
    class Groups:
        def describe(self, tenant: str, cluster: Json, account: Json) -> dict[str, dict[str, Any]]:
            return {"general": {"capacity_type": "spot", "scaling": {"minSize": 1, "maxSize": 3, "desiredSize": 2}}}

    nodes = Nodes([NodeInfo("ip-10-0-0-1", aws["node"], f"{REGION}a", "m5.large", "spot", "general"),
                   NodeInfo("fargate-ip-1", None, f"{REGION}b", "", "on-demand", None)])  # fmt: skip
    [found] = discover_all(DiscoveryDeps(docs, nodes, Groups(), registry), 100)
    assert (found.nodes, found.registered, found.node_groups, found.error) == (2, 1, 1, None)
    assert registry.nodes[aws["node"]].cluster == "prod" and registry.nodes[aws["node"]].capacity_type == "spot"
    cluster = docs.get(TENANT_ID, "cluster", "prod")
    assert cluster is not None and cluster.body["node_groups"]["general"]["capacity_type"] == "spot"
    version = cluster.version
    discover_all(DiscoveryDeps(docs, nodes, Groups(), registry), 200)
    assert docs.get(TENANT_ID, "cluster", "prod").version == version  # type: ignore[union-attr]  # nothing new
