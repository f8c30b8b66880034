"""A notice for an instance the registry does not know yet, but whose tags say it joined a registered cluster.

Discovery registers nodes on a schedule; an Auto Scaling group or Karpenter launches nodes in between, and Spot can
reclaim one minutes after it joined. Such a node gets its drain like any other: the tenant's account describes it
(the same DescribeInstances that locates its pool for the hive mind), its `kubernetes.io/cluster/<name>` or
`eks:cluster-name` tag names the cluster, which must be one the tenant registered, and it is registered as
discovery would have (its node group kept only when the cluster has it registered, so a launch uses a known template).
"""

from __future__ import annotations

from cloudoptim.errors import RecordNotFoundError
from cloudoptim.interruptions.ports import FoundInstance, NodeRecord, Registry


def adopt(found: FoundInstance, instance_id: str, tenant_id: str, region: str, registry: Registry,
          now: int) -> tuple[NodeRecord | None, str]:  # fmt: skip
    """The node registered for `found`, or None and why not."""
    if not found.cluster:
        return None, "its tags name no EKS cluster: no workflow"
    if not found.node_name:
        return None, f"it has no private DNS name (no Node of cluster {found.cluster}): no workflow"
    try:
        cluster = registry.cluster(tenant_id, found.cluster)
    except RecordNotFoundError:
        return None, f"its tags name cluster {found.cluster!r}, which this tenant has not registered: no workflow"
    group = found.node_group if found.node_group in cluster.node_groups else None
    node = NodeRecord(
        instance_id=instance_id, tenant_id=tenant_id, cluster=found.cluster, node_name=found.node_name,
        node_group=group, region=region, availability_zone=found.availability_zone,
        az_id=found.pool.az_id if found.pool else None, instance_type=found.instance_type,
        capacity_type=found.capacity_type, seen_at=now,
    )  # fmt: skip
    registry.register_node(node)
    return node, f"not yet discovered: joined cluster {found.cluster} (its tags), registered now"
