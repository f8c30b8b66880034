"""EC2 in the customer's account: launch a replacement from the node group's launch template, and find
the pool of an instance the registry does not know."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.interruptions.ports import Launched, LaunchSpec, TenantRecord
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


class CustomerEc2:
    """`CustomerCloud`: EC2 clients on the tenant's assumed-role session."""

    def __init__(self, sessions: StsSessions, endpoint_url: str | None = None) -> None:
        self._sessions = sessions
        self._endpoint_url = endpoint_url

    def launcher(self, tenant: TenantRecord, region: str) -> Ec2Launcher:
        session = self._sessions.session(tenant, region)
        return Ec2Launcher(session.client("ec2", region_name=region, endpoint_url=self._endpoint_url))


class Ec2PoolLocator:
    """`PoolLocator`: DescribeInstances in the sending account, through the tenant that owns it."""

    def __init__(self, registry: Any, sessions: StsSessions, endpoint_url: str | None = None) -> None:
        self._registry = registry
        self._sessions = sessions
        self._endpoint_url = endpoint_url

    def locate(self, account_id: str | None, region: str, instance_id: str) -> HivePool | None:
        tenant_id = self._registry.tenant_for_account(account_id) if account_id else None
        if tenant_id is None:
            return None
        tenant = self._registry.tenant(tenant_id)
        ec2 = self._sessions.session(tenant, region).client("ec2", region_name=region, endpoint_url=self._endpoint_url)
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
        return HivePool(region, zones[0]["ZoneId"], instance["InstanceType"]) if zones else None
