"""How a node leaves the cluster the way its owner expects (spec flow 3): a node its owner would replace as soon
as it is gone must be removed through that owner, with its desired capacity lowered, or it comes straight back.

>>> removal_of({"karpenter.sh/nodepool": "default"}, asg=None, tagged_by_cloudoptim=False).how
<Removal.NODECLAIM: 'nodeclaim'>
>>> removal_of({}, asg="eks-web-1234", tagged_by_cloudoptim=False).how
<Removal.AUTO_SCALING_GROUP: 'auto-scaling-group'>
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

KARPENTER_LABELS = ("karpenter.sh/nodepool", "karpenter.sh/provisioner-name")
MANAGED_NODE_GROUP_LABEL = "eks.amazonaws.com/nodegroup"


class Removal(StrEnum):
    NODECLAIM = "nodeclaim"  # Karpenter: delete the NodeClaim; Karpenter drains nothing more and terminates it
    AUTO_SCALING_GROUP = "auto-scaling-group"  # EKS managed node group or self-managed ASG: terminate, decrement
    TAGGED_INSTANCE = "tagged-instance"  # launched by CloudOptim (cloudoptim:tenant tag): terminate it
    NONE = "none"  # no owner CloudOptim may act through: the node stays


@dataclass(frozen=True, slots=True)
class NodeRemoval:
    how: Removal
    reason: str
    group: str | None = None  # the Auto Scaling group's name


def removal_of(labels: Mapping[str, str], asg: str | None, tagged_by_cloudoptim: bool) -> NodeRemoval:
    """`asg`: the Auto Scaling group the node's instance belongs to (EKS managed node groups have one too)."""
    karpenter = next((labels[k] for k in KARPENTER_LABELS if k in labels), None)
    if karpenter is not None:
        return NodeRemoval(Removal.NODECLAIM, f"Karpenter node (pool {karpenter}): its NodeClaim is deleted")
    if asg is not None:
        group = labels.get(MANAGED_NODE_GROUP_LABEL)
        owner = f"managed node group {group}" if group else "self-managed node group"
        return NodeRemoval(
            Removal.AUTO_SCALING_GROUP,
            f"{owner}: terminated in Auto Scaling group {asg} with its desired capacity decremented",
            asg,
        )
    if tagged_by_cloudoptim:
        return NodeRemoval(Removal.TAGGED_INSTANCE, "an instance CloudOptim launched: terminated by its tag")
    return NodeRemoval(Removal.NONE, "no Auto Scaling group, NodeClaim or CloudOptim tag: nothing may remove it")
