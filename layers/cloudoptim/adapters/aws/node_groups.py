"""`NodeGroups` (cloudoptim.hibernation.ports) on EKS managed node groups: DescribeNodegroup for the scaling config,
UpdateNodegroupConfig to change it (through the tenant's role)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from engines.hibernation.plan import NODE_GROUP_OPT_IN, NodeGroupSize


class EksNodeGroups:
    def __init__(self, eks: Any, cluster: str) -> None:
        self._eks, self._cluster = eks, cluster

    def names(self) -> list[str]:
        found: list[str] = []
        token: str | None = None
        while True:
            try:
                page = self._eks.list_nodegroups(clusterName=self._cluster, **({"nextToken": token} if token else {}))
            except (ClientError, BotoCoreError) as exc:
                raise translate(exc, f"eks:ListNodegroups {self._cluster}") from exc
            found.extend(page.get("nodegroups") or [])
            token = page.get("nextToken")
            if not token:
                return sorted(found)

    def sizes(self, names: Sequence[str]) -> list[NodeGroupSize]:
        """The named groups' scaling (all of the cluster's managed groups when none are named); a group that no
        longer exists is left out."""
        found = []
        for name in names or self.names():
            try:
                group = self._eks.describe_nodegroup(clusterName=self._cluster, nodegroupName=name)["nodegroup"]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    continue
                raise translate(exc, f"eks:DescribeNodegroup {name}") from exc
            except BotoCoreError as exc:
                raise translate(exc, f"eks:DescribeNodegroup {name}") from exc
            scaling = group.get("scalingConfig") or {}
            opted_in = (group.get("tags") or {}).get(NODE_GROUP_OPT_IN[0]) == NODE_GROUP_OPT_IN[1]
            found.append(NodeGroupSize(name, int(scaling.get("minSize", 0)), int(scaling.get("maxSize", 1)),
                                       int(scaling.get("desiredSize", 0)), opted_in))  # fmt: skip
        return found

    def resize(self, name: str, min_size: int, max_size: int, desired: int) -> None:
        scaling = {"minSize": min_size, "maxSize": max_size, "desiredSize": desired}
        try:
            self._eks.update_nodegroup_config(clusterName=self._cluster, nodegroupName=name, scalingConfig=scaling)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"eks:UpdateNodegroupConfig {name}") from exc

    def describe_all(self) -> dict[str, dict[str, Any]]:
        """Every managed node group: scaling, capacity type, instance types, subnets and launch template."""
        found: dict[str, dict[str, Any]] = {}
        for name in self.names():
            try:
                group = self._eks.describe_nodegroup(clusterName=self._cluster, nodegroupName=name)["nodegroup"]
            except (ClientError, BotoCoreError) as exc:
                raise translate(exc, f"eks:DescribeNodegroup {name}") from exc
            scaling = group.get("scalingConfig") or {}
            template = group.get("launchTemplate") or {}
            found[name] = {
                "scaling": {k: int(scaling.get(k, 0)) for k in ("minSize", "maxSize", "desiredSize")},
                "capacity_type": "spot" if group.get("capacityType") == "SPOT" else "on-demand",
                "instance_types": list(group.get("instanceTypes") or []),
                "subnet_ids": list(group.get("subnets") or []),
                **({"launch_template_id": template["id"]} if template.get("id") else {}),
                **({"launch_template_version": str(template["version"])} if template.get("version") else {}),
            }
        return found
