"""EC2 in the customer's account: launch a replacement from the node group's launch template, terminate one that
never became Ready (only if it carries CloudOptim's launch tags), and find the pool of an instance the registry
does not know. Each through a session limited to its purpose (cloudoptim.tenancy.actions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.interruptions.ports import FoundInstance, Launched, LaunchSpec, TenantRecord
from engines.interruption.hive import HivePool


class Ec2Launcher:
    def __init__(self, client: Any) -> None:
        self._ec2 = client

    def launch(self, spec: LaunchSpec) -> Launched:
        """RunInstances, idempotent through the ClientToken: a retry returns the instance already launched."""
        request: dict[str, Any] = {
            "LaunchTemplate": {"LaunchTemplateId": spec.launch_template_id, "Version": spec.launch_template_version},
            "InstanceType": spec.instance_type,
            "SubnetId": spec.subnet_id,
            "MinCount": 1,
            "MaxCount": 1,
            "ClientToken": spec.client_token,
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in spec.tags.items()]}
            ],
        }
        if spec.capacity_type == "spot":
            request["InstanceMarketOptions"] = {
                "MarketType": "spot",
                "SpotOptions": {"SpotInstanceType": "one-time", "InstanceInterruptionBehavior": "terminate"},
            }
        try:
            answer = self._ec2.run_instances(**request)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"RunInstances {spec.instance_type} in {spec.subnet_id}") from exc
        instance = answer["Instances"][0]
        return Launched(str(instance["InstanceId"]), str(instance.get("PrivateDnsName") or ""))


class Ec2Terminator:
    def __init__(self, client: Any) -> None:
        self._ec2 = client

    def terminate(self, instance_id: str, tags: Mapping[str, str]) -> bool:
        """TerminateInstances, only for an instance carrying every tag in `tags`; False if not, or already gone."""
        what = f"TerminateInstances {instance_id}"
        try:
            reservations = self._ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
            instances = [i for r in reservations for i in r["Instances"]]
            if not instances or instances[0].get("State", {}).get("Name") in ("shutting-down", "terminated"):
                return False
            carried = {t["Key"]: t["Value"] for t in instances[0].get("Tags", [])}
            if any(carried.get(key) != value for key, value in tags.items()):
                return False
            self._ec2.terminate_instances(InstanceIds=[instance_id])
        except ClientError as exc:
            if "NotFound" in str(exc.response.get("Error", {}).get("Code", "")):
                return False
            raise translate(exc, what) from exc
        except BotoCoreError as exc:
            raise translate(exc, what) from exc
        return True


class CustomerEc2:
    """`CustomerCloud`: EC2 clients on the tenant's assumed-role sessions, one purpose each."""

    def __init__(self, sessions: StsSessions, endpoint_url: str | None = None) -> None:
        self._sessions = sessions
        self._endpoint_url = endpoint_url

    def launcher(self, tenant: TenantRecord, region: str) -> Ec2Launcher:
        session = self._sessions.session(tenant, region, "launch")
        return Ec2Launcher(session.client("ec2", region_name=region, endpoint_url=self._endpoint_url))

    def terminator(self, tenant: TenantRecord, region: str) -> Ec2Terminator:
        session = self._sessions.session(tenant, region, "terminate")
        return Ec2Terminator(session.client("ec2", region_name=region, endpoint_url=self._endpoint_url))


class Ec2PoolLocator:
    """`PoolLocator`: DescribeInstances in the tenant's account (the caller resolved the tenant by a keyed read)."""

    def __init__(self, sessions: StsSessions, endpoint_url: str | None = None) -> None:
        self._sessions = sessions
        self._endpoint_url = endpoint_url

    def locate(self, tenant: TenantRecord, region: str, instance_id: str) -> FoundInstance | None:
        session = self._sessions.session(tenant, region, "locate")
        ec2 = session.client("ec2", region_name=region, endpoint_url=self._endpoint_url)
        try:
            reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
            if not reservations:
                return None
            instance = reservations[0]["Instances"][0]
            zone = instance["Placement"]["AvailabilityZone"]
            zones = ec2.describe_availability_zones(ZoneNames=[zone])["AvailabilityZones"]
        except ClientError as exc:
            if "NotFound" in str(exc.response.get("Error", {}).get("Code", "")):
                return None
            raise translate(exc, f"DescribeInstances {instance_id}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"DescribeInstances {instance_id}") from exc
        pool = HivePool(region, zones[0]["ZoneId"], instance["InstanceType"]) if zones else None
        tags = {str(t.get("Key")): str(t.get("Value")) for t in instance.get("Tags") or []}
        return FoundInstance(
            pool=pool, availability_zone=zone, instance_type=str(instance["InstanceType"]),
            capacity_type="spot" if instance.get("InstanceLifecycle") == "spot" else "on-demand",
            node_name=str(instance.get("PrivateDnsName") or ""), cluster=cluster_of(tags),
            node_group=node_group_of(tags),
        )  # fmt: skip


CLUSTER_TAGS = ("eks:cluster-name", "aws:eks:cluster-name", "eks:eks-cluster-name")
NODE_GROUP_TAGS = ("eks:nodegroup-name", "karpenter.sh/nodepool", "alpha.eksctl.io/nodegroup-name")
_OWNED_PREFIX = "kubernetes.io/cluster/"


def cluster_of(tags: Mapping[str, str]) -> str | None:
    """The EKS cluster an instance joined, from the tags EKS managed node groups, Karpenter and eksctl put on it.

    >>> cluster_of({"kubernetes.io/cluster/prod": "owned", "karpenter.sh/nodepool": "default"})
    'prod'
    >>> cluster_of({"Name": "bastion"}) is None
    True
    """
    named = next((tags[k] for k in CLUSTER_TAGS if tags.get(k)), None)
    if named:
        return named
    owned = [k.removeprefix(_OWNED_PREFIX) for k, v in tags.items() if k.startswith(_OWNED_PREFIX) and v == "owned"]
    return owned[0] if len(owned) == 1 else None


def node_group_of(tags: Mapping[str, str]) -> str | None:
    return next((tags[k] for k in NODE_GROUP_TAGS if tags.get(k)), None)
