"""Register the emulated cluster as a tenant's cluster: customer-side EC2 in moto, then the registry items.

Order matters: `prepare_tenant` runs one moto instance per seeded node (from the node group's launch
template, in a subnet of the node's zone) and rewrites the seed's providerIDs to those instance ids
before the Kubernetes emulator starts, so EC2, the registry and the Kubernetes API agree on every id.
`register_tenant` then writes the items of docs/platform-contract.md pointing at the emulator's URL.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from cloudoptim.adapters.aws import clients, tables
from cloudoptim.adapters.aws.bus_policy import EventBusPolicy
from cloudoptim.adapters.aws.registry import DynamoRegistry
from cloudoptim.adapters.aws.secrets import SecretsExternalIds
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.onboarding import OnboardingRequest, onboarding_template
from cloudoptim.tenancy.registration import AccountRegistration, RegistrationDeps, issue_external_id, register_account
from cloudoptim.tenancy.tenants import INDEX
from localmode.aws import ACCOUNT_ID, LocalAws
from localmode.cluster_seed import SeedNode, seed_nodes, with_provider_ids

LOCAL_TOKEN = "local-emulator-token"  # the emulator accepts any bearer token


@dataclass(frozen=True)
class NodeGroupSetup:
    name: str
    launch_template_id: str
    instance_type: str
    capacity_type: str
    subnets: dict[str, str]  # AZ name -> subnet id


@dataclass
class LocalTenant:
    tenant_id: str
    cluster: str
    region: str
    role_arn: str
    external_id: str
    az_ids: dict[str, str]  # AZ name -> AZ ID
    node_groups: dict[str, NodeGroupSetup]
    seed: Any  # the seed with providerIDs pointing at moto instances
    instances: dict[str, SeedNode] = field(default_factory=dict)  # instance id -> node
    secret_arn: str = ""


def _network(ec2: Any) -> tuple[dict[str, str], dict[str, str]]:
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    vpc = ec2.create_vpc(CidrBlock="10.200.0.0/16")["Vpc"]["VpcId"]
    subnets: dict[str, str] = {}
    for index, zone in enumerate(zones):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.200.{index * 32}.0/19", AvailabilityZone=zone["ZoneName"])
        subnets[zone["ZoneName"]] = subnet["Subnet"]["SubnetId"]
    return subnets, {z["ZoneName"]: z["ZoneId"] for z in zones}


def _launch_templates(
    ec2: Any, cluster: str, nodes: list[SeedNode], subnets: dict[str, str]
) -> dict[str, NodeGroupSetup]:
    image_id = ec2.describe_images(Owners=["amazon"], MaxResults=5)["Images"][0]["ImageId"]
    groups: dict[str, NodeGroupSetup] = {}
    for group in sorted({n.node_group for n in nodes}):
        members = [n for n in nodes if n.node_group == group]
        instance_type = Counter(n.instance_type for n in members).most_common(1)[0][0]
        capacity = Counter(n.capacity_type for n in members).most_common(1)[0][0]
        template = ec2.create_launch_template(
            LaunchTemplateName=f"{cluster}-{group}",
            LaunchTemplateData={
                "ImageId": image_id,
                "InstanceType": instance_type,
                "TagSpecifications": [
                    {"ResourceType": "instance", "Tags": [{"Key": "eks:nodegroup-name", "Value": group}]}
                ],
            },
        )["LaunchTemplate"]["LaunchTemplateId"]
        groups[group] = NodeGroupSetup(group, template, instance_type, capacity, dict(subnets))
    return groups


def _run_node_instances(
    ec2: Any, cluster: str, nodes: list[SeedNode], groups: dict[str, NodeGroupSetup]
) -> dict[str, SeedNode]:
    instances: dict[str, SeedNode] = {}
    for node in nodes:
        group = groups[node.node_group]
        market = {"InstanceMarketOptions": {"MarketType": "spot"}} if node.capacity_type == "spot" else {}
        reservation = ec2.run_instances(
            LaunchTemplate={"LaunchTemplateId": group.launch_template_id, "Version": "$Default"},
            InstanceType=node.instance_type,
            SubnetId=group.subnets[node.zone],
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [
                        {"Key": "Name", "Value": node.name},
                        {"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"},
                        {"Key": "eks:nodegroup-name", "Value": node.node_group},
                    ],
                }
            ],
            **market,
        )
        instances[reservation["Instances"][0]["InstanceId"]] = node
    return instances


def external_ids(aws: LocalAws) -> SecretsExternalIds:
    return SecretsExternalIds(clients.client("secretsmanager", aws.region, aws.endpoint_url))


def prepare_tenant(aws: LocalAws, seed: Mapping[str, Any], tenant_id: str, cluster: str) -> LocalTenant:
    """Customer-side AWS for the seeded cluster: network, launch templates, one instance per node, and the role
    the onboarding template creates, trusting the ExternalId the SaaS issued."""
    ec2 = aws.client("ec2")
    subnets, az_ids = _network(ec2)
    nodes = seed_nodes(seed, default_zone=next(iter(subnets)))
    nodes = [n if n.zone in subnets else _in_zone(n, next(iter(subnets))) for n in nodes]
    groups = _launch_templates(ec2, cluster, nodes, subnets)
    instances = _run_node_instances(ec2, cluster, nodes, groups)
    external_id = issue_external_id(tenant_id, external_ids(aws))
    request = OnboardingRequest(
        tenant_id=tenant_id,
        saas_account_id=ACCOUNT_ID,
        external_id=external_id,
        launch_template_ids=tuple(g.launch_template_id for g in groups.values()),
        saas_region=aws.region,
    )
    access_role = onboarding_template(request)["Resources"]["AccessRole"]["Properties"]
    role_arn = aws.client("iam").create_role(
        RoleName=access_role["RoleName"], AssumeRolePolicyDocument=json.dumps(access_role["AssumeRolePolicyDocument"])
    )["Role"]["Arn"]
    patched = with_provider_ids(
        seed, {n.name: i for i, n in instances.items()}, {n.name: n.zone for n in instances.values()}
    )
    return LocalTenant(tenant_id, cluster, aws.region, role_arn, external_id, az_ids, groups, patched, instances)


def _in_zone(node: SeedNode, zone: str) -> SeedNode:
    return SeedNode(node.name, zone, node.instance_type, node.capacity_type, node.node_group)


def node_item(tenant: LocalTenant, instance_id: str, node: SeedNode) -> dict[str, Any]:
    """The registry item `INSTANCE#<id>`/`NODE` (with its pool, as DynamoRegistry.register_node writes it)."""
    az_id = tenant.az_ids.get(node.zone, "")
    spot = node.capacity_type == "spot" and az_id
    return {
        **({"pool": f"{tenant.region}#{az_id}#{node.instance_type}"} if spot else {}),
        "pk": f"INSTANCE#{instance_id}",
        "sk": "NODE",
        "tenant_id": tenant.tenant_id,
        "cluster": tenant.cluster,
        "node_name": node.name,
        "node_group": node.node_group,
        "region": tenant.region,
        "availability_zone": node.zone,
        "az_id": az_id,
        "instance_type": node.instance_type,
        "capacity_type": node.capacity_type,
        "seen_at": int(time.time()),  # as a discovery run now would write it
    }


def registry_items(tenant: LocalTenant, endpoint: str, ca_data: str = "") -> list[dict[str, Any]]:
    """The cluster item and one `INSTANCE#` item per node (the tenant's own items come from registration)."""
    node_groups = {
        name: {
            "launch_template_id": g.launch_template_id,
            "launch_template_version": "$Default",
            "subnets": g.subnets,
            "az_ids": {zone: tenant.az_ids[zone] for zone in g.subnets if zone in tenant.az_ids},
            "capacity_type": g.capacity_type,
        }
        for name, g in tenant.node_groups.items()
    }
    credentials = {"kind": "secret", "secret_arn": tenant.secret_arn}
    cluster = {
        "pk": f"TENANT#{tenant.tenant_id}",
        "sk": f"CLUSTER#{tenant.cluster}",
        # the item is the tenant's cluster document: what the API, the registry and the jobs read
        **document(
            {
                "name": tenant.cluster,
                "account_id": ACCOUNT_ID,
                "region": tenant.region,
                "credentials": credentials,
                "status": "connected",
                "endpoint": endpoint,
                "ca_data": ca_data or None,
                "connection": None,
                "node_groups": node_groups,
            }
        ),
    }
    # The account's document as `POST /v1/accounts` writes it, and the tenant in the index the scheduled jobs walk.
    account = {
        "pk": f"TENANT#{tenant.tenant_id}",
        "sk": f"ACCOUNT#{ACCOUNT_ID}",
        **document(
            {
                "aws_account_id": ACCOUNT_ID,
                "regions": [tenant.region],
                "role_arn": tenant.role_arn,
                "status": "verified",
                "verification": None,
            }
        ),
    }
    listed = {"pk": f"TENANT#{INDEX}", "sk": f"TENANT#{tenant.tenant_id}", **document({"created_at": 0})}
    return [cluster, account, listed, *(node_item(tenant, i, n) for i, n in tenant.instances.items())]


def document(body: dict[str, Any]) -> dict[str, Any]:
    """The attributes of a version-1 tenancy document (cloudoptim.adapters.aws.documents)."""
    return {"doc": json.dumps(body, sort_keys=True, separators=(",", ":")), "version": 1, "created_at": 0,
            "updated_at": 0}  # fmt: skip


def register_tenant(
    aws: LocalAws, registry_table: str, bus_name: str, tenant: LocalTenant, endpoint: str, ca_data: str
) -> None:
    """Register the account as the SaaS does, then the cluster (its token in Secrets Manager, as in AWS)."""
    endpoint_url, region = aws.endpoint_url, aws.region
    registry = DynamoRegistry(tables.registry_model(registry_table, endpoint_url, region))
    ids = external_ids(aws)
    deps = RegistrationDeps(
        external_ids=ids,
        directory=registry,
        bus=EventBusPolicy(clients.client("events", region, endpoint_url), bus_name),
        role_check=StsSessions(ids, clients.client("sts", region, endpoint_url), endpoint_url=endpoint_url),
    )
    register_account(AccountRegistration(tenant.tenant_id, ACCOUNT_ID, (tenant.region,)), deps)
    tenant.secret_arn = aws.client("secretsmanager").create_secret(
        Name=f"cloudoptim/{tenant.tenant_id}/{tenant.cluster}/token", SecretString=LOCAL_TOKEN
    )["ARN"]
    put_items(aws, registry_table, registry_items(tenant, endpoint, ca_data))


def put_items(aws: LocalAws, table: str, items: list[dict[str, Any]]) -> None:
    serializer = TypeSerializer()
    dynamodb = aws.client("dynamodb")
    for start in range(0, len(items), 25):
        requests = [
            {"PutRequest": {"Item": {k: serializer.serialize(v) for k, v in item.items()}}}
            for item in items[start : start + 25]
        ]
        dynamodb.batch_write_item(RequestItems={table: requests})
