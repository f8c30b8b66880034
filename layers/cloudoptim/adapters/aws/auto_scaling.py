"""`FleetAccess` / `NodeFleet` (cloudoptim.optimization.execution.ports): the tenant's Auto Scaling groups and
instance tags through its role (purpose `execute`). EKS managed node groups run in Auto Scaling groups, so one way
removes a chosen node from either: TerminateInstanceInAutoScalingGroup, desired capacity decremented."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.interruptions.ports import TenantRecord


class AutoScalingFleet:
    def __init__(self, autoscaling: Any, ec2: Any) -> None:
        self._asg, self._ec2 = autoscaling, ec2

    def group_of(self, instance_id: str) -> str | None:
        try:
            found = self._asg.describe_auto_scaling_instances(InstanceIds=[instance_id])["AutoScalingInstances"]
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"DescribeAutoScalingInstances {instance_id}") from exc
        return str(found[0]["AutoScalingGroupName"]) if found else None

    def terminate_in_group(self, instance_id: str) -> bool:
        if self.group_of(instance_id) is None:
            return False  # already left its group (a retried step)
        try:
            self._asg.terminate_instance_in_auto_scaling_group(
                InstanceId=instance_id, ShouldDecrementDesiredCapacity=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"TerminateInstanceInAutoScalingGroup {instance_id}") from exc
        return True

    def tags_of(self, instance_id: str) -> Mapping[str, str] | None:
        try:
            reservations = self._ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        except ClientError as exc:
            if "NotFound" in str(exc.response.get("Error", {}).get("Code", "")):
                return None
            raise translate(exc, f"DescribeInstances {instance_id}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"DescribeInstances {instance_id}") from exc
        instances = [i for r in reservations for i in r["Instances"]]
        return {t["Key"]: t["Value"] for t in instances[0].get("Tags", [])} if instances else None


class TenantFleets:
    def __init__(self, sessions: StsSessions, endpoint_url: str | None = None) -> None:
        self._sessions, self._endpoint = sessions, endpoint_url

    def fleet(self, tenant: TenantRecord, region: str) -> AutoScalingFleet:
        session = self._sessions.session(tenant, region, "execute")
        return AutoScalingFleet(session.client("autoscaling", region_name=region, endpoint_url=self._endpoint),
                                session.client("ec2", region_name=region, endpoint_url=self._endpoint))  # fmt: skip
