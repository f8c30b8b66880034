"""The cluster's EKS managed node groups in local mode: created in moto's EKS from the seeded nodes, and a stand-in
for their Auto Scaling groups (moto only records the new scaling config): when UpdateNodegroupConfig changes a
group's desired size, instances are terminated (their Nodes leave the emulated cluster) or launched from the group's
launch template (the kubelet bridge registers their Nodes), relaunching the instance types the group had before.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.autoscaling.models import AutoScalingBackend
from moto.eks.models import EKSBackend

from localmode.aws import LocalAws
from localmode.tenant import LocalTenant

OPT_IN = {"cloudoptim.io/hibernate": "true"}  # the customer's consent for the role to resize it (docs/onboarding.md)
CONSOLIDATE_OPT_IN = {"cloudoptim.io/consolidate": "true"}  # ... and to remove instances from its Auto Scaling group


@dataclass
class Parked:
    instance_type: str
    zone: str
    capacity_type: str


@dataclass
class NodeGroupController:
    aws: LocalAws
    tenant: LocalTenant
    kube: Any  # the KubeEmulator
    auto_scaling_groups: bool = False
    parked: dict[str, list[Parked]] = field(default_factory=dict)
    resized: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self) -> None:
        eks, tenant = self.aws.client("eks"), self.tenant
        subnets = sorted({s for g in tenant.node_groups.values() for s in g.subnets.values()})
        eks.create_cluster(name=tenant.cluster, roleArn=tenant.role_arn, resourcesVpcConfig={"subnetIds": subnets})
        for name, group in tenant.node_groups.items():
            members = sum(1 for n in tenant.instances.values() if n.node_group == name)
            subnets_of_group = sorted(group.subnets.values())
            eks.create_nodegroup(
                clusterName=tenant.cluster, nodegroupName=name, nodeRole=tenant.role_arn, subnets=subnets_of_group,
                scalingConfig={"minSize": 1, "maxSize": max(2 * members, 1), "desiredSize": members},
                capacityType="SPOT" if group.capacity_type == "spot" else "ON_DEMAND",
                launchTemplate={"id": group.launch_template_id}, tags=dict(OPT_IN),
            )  # fmt: skip
            if self.auto_scaling_groups:
                self._auto_scaling_group(name, members)

    def _auto_scaling_group(self, name: str, members: int) -> None:
        """The group's Auto Scaling group, as EKS makes one per managed node group, holding the seeded instances;
        tagged as the customer consents for consolidation to remove instances from it (docs/onboarding.md)."""
        group = self.tenant.node_groups[name]
        asg = self.aws.client("autoscaling")
        asg_name = f"eks-{name}-{self.tenant.cluster}"
        asg.create_auto_scaling_group(
            AutoScalingGroupName=asg_name, MinSize=0, MaxSize=max(2 * members, 1), DesiredCapacity=0,
            LaunchTemplate={"LaunchTemplateId": group.launch_template_id, "Version": "$Default"},
            VPCZoneIdentifier=",".join(sorted(group.subnets.values())),
            Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": False} for k, v in
                  {**CONSOLIDATE_OPT_IN, "eks:nodegroup-name": name, "eks:cluster-name": self.tenant.cluster}.items()],
        )  # fmt: skip
        running = {i["InstanceId"] for r in self.aws.client("ec2").describe_instances(
            Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]
            for i in r["Instances"]}  # fmt: skip
        ids = [i for i, n in self.tenant.instances.items() if n.node_group == name and i in running]
        for start in range(0, len(ids), 20):  # AttachInstances takes at most 20
            asg.attach_instances(AutoScalingGroupName=asg_name, InstanceIds=ids[start : start + 20])

    def add_auto_scaling_group(self, name: str) -> str:
        """The group's Auto Scaling group, on a stack started without them, holding its running seeded instances
        (idempotent); returns the group's name."""
        asg_name = f"eks-{name}-{self.tenant.cluster}"
        asg = self.aws.client("autoscaling")
        if not asg.describe_auto_scaling_groups(AutoScalingGroupNames=[asg_name])["AutoScalingGroups"]:
            self._auto_scaling_group(name, sum(1 for n in self.tenant.instances.values() if n.node_group == name))
        return asg_name

    def left_group(self, instance_id: str) -> None:
        """An instance terminated out of its Auto Scaling group: its Node leaves the cluster (the cloud controller's
        job in EKS)."""
        for node in self.kube.store.list_nodes():
            if str(node.get("spec", {}).get("providerID", "")).rsplit("/", 1)[-1] == instance_id:
                self.kube.store.delete_node(node["metadata"]["name"])

    def members(self, group: str) -> list[dict[str, Any]]:
        ec2 = self.aws.client("ec2")
        filters = [{"Name": "tag:eks:nodegroup-name", "Values": [group]},
                   {"Name": "instance-state-name", "Values": ["pending", "running"]}]  # fmt: skip
        return [i for r in ec2.describe_instances(Filters=filters)["Reservations"] for i in r["Instances"]]

    def reconcile(self, cluster: str, group: str, desired: int) -> None:
        if cluster != self.tenant.cluster or group not in self.tenant.node_groups:
            return
        with self._lock:
            current = sorted(self.members(group), key=lambda i: str(i["LaunchTime"]))
            if len(current) > desired:
                self._terminate(group, current[desired:])
            elif len(current) < desired:
                self._launch(group, desired - len(current))
            self.resized += 1

    def _terminate(self, group: str, instances: list[dict[str, Any]]) -> None:
        parked = self.parked.setdefault(group, [])
        ids = [i["InstanceId"] for i in instances]
        for instance in instances:
            lifecycle = "spot" if instance.get("InstanceLifecycle") == "spot" else "on-demand"
            parked.append(Parked(instance["InstanceType"], instance["Placement"]["AvailabilityZone"], lifecycle))
        self.aws.client("ec2").terminate_instances(InstanceIds=ids)
        names = {node["metadata"]["name"] for node in self.kube.store.list_nodes()
                 if str(node.get("spec", {}).get("providerID", "")).rsplit("/", 1)[-1] in ids}  # fmt: skip
        for name in names:
            self.kube.store.delete_node(name)

    def _launch(self, group: str, count: int) -> None:
        setup = self.tenant.node_groups[group]
        parked = self.parked.setdefault(group, [])
        usual = Counter(n.zone for n in self.tenant.instances.values() if n.node_group == group).most_common(1)
        for _ in range(count):
            spec = parked.pop() if parked else Parked(setup.instance_type, usual[0][0], setup.capacity_type)
            market = {"InstanceMarketOptions": {"MarketType": "spot"}} if spec.capacity_type == "spot" else {}
            tags = {"eks:nodegroup-name": group, "eks:cluster-name": self.tenant.cluster,
                    f"kubernetes.io/cluster/{self.tenant.cluster}": "owned"}  # fmt: skip
            tagging = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
            self.aws.client("ec2").run_instances(
                LaunchTemplate={"LaunchTemplateId": setup.launch_template_id, "Version": "$Default"},
                InstanceType=spec.instance_type, SubnetId=setup.subnets[spec.zone], MinCount=1, MaxCount=1,
                TagSpecifications=tagging, **market,
            )  # fmt: skip


def install(controller: NodeGroupController) -> Callable[[], None]:
    """Resizing a node group in moto's EKS also resizes its instances; returns the undo."""
    original = EKSBackend.update_nodegroup_config

    def update_nodegroup_config(backend: Any, *args: Any, **kwargs: Any) -> Any:
        answer = original(backend, *args, **kwargs)
        cluster, group = kwargs.get("cluster_name", args[0] if args else ""), kwargs.get("nodegroup_name", "")
        if not group and len(args) > 1:
            group = args[1]
        scaling = kwargs.get("scaling_config") or {}
        if "desiredSize" in scaling:
            controller.reconcile(str(cluster), str(group), int(scaling["desiredSize"]))
        return answer

    EKSBackend.update_nodegroup_config = update_nodegroup_config  # type: ignore[method-assign,assignment]
    original_terminate = AutoScalingBackend.terminate_instance

    def terminate_instance(backend: Any, instance_id: str, should_decrement: bool) -> Any:
        answer = original_terminate(backend, instance_id, should_decrement)
        controller.left_group(instance_id)
        return answer

    AutoScalingBackend.terminate_instance = terminate_instance  # type: ignore[method-assign,assignment]

    def restore() -> None:
        EKSBackend.update_nodegroup_config = original  # type: ignore[method-assign]
        AutoScalingBackend.terminate_instance = original_terminate  # type: ignore[method-assign]

    return restore
