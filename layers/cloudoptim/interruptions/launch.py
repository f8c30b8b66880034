"""LaunchReplacement: the customer's EC2 launches the chosen replacement from the node group's launch template.

Kept apart from the choice (cloudoptim.interruptions.choose) so launching imports no numpy engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudoptim.errors import RecordNotFoundError
from cloudoptim.interruptions.execution import to_epoch
from cloudoptim.interruptions.models import DrainState, Launch, Replacement
from cloudoptim.interruptions.ports import CustomerCloud, Launched, LaunchSpec, NodeGroup, NodeRecord, Registry
from cloudoptim.onboarding import TENANT_TAG

REPLACES_TAG = "cloudoptim:replaces"

AZ_ID_RE = re.compile(r"^[a-z]+\d+-(?:[a-z]+\d+-)?az\d+$")
_TOKEN_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def node_group(registry: Registry, state: DrainState) -> NodeGroup | None:
    if state.node_group is None:
        return None
    cluster = registry.cluster(state.tenant_id, state.cluster)
    return cluster.node_groups.get(state.node_group)


@dataclass(frozen=True)
class LaunchDeps:
    registry: Registry
    cloud: CustomerCloud


def launch_tags(state: DrainState) -> dict[str, str]:
    """What CloudOptim puts on its launches; terminating one later requires the same tags (tag-scoped)."""
    return {TENANT_TAG: state.tenant_id, REPLACES_TAG: state.instance_id}


def client_token(event_id: str, instance_id: str) -> str:
    """EC2 ClientToken (at most 64 ASCII characters): one launch per notice and instance, even on retry."""
    return _TOKEN_UNSAFE.sub("-", f"{event_id}-{instance_id}")[-64:]


def launch(state: DrainState, deps: LaunchDeps) -> Launch:
    choice = state.replacement
    if choice is None:
        raise RecordNotFoundError("LaunchReplacement needs a replacement chosen first")
    group = node_group(deps.registry, state)
    if group is None:
        raise RecordNotFoundError(f"node group {state.node_group!r} of cluster {state.cluster!r} is not registered")
    subnet = group.subnets.get(choice.zone_key)
    if subnet is None:
        raise RecordNotFoundError(f"node group {group.name!r} has no subnet for zone {choice.zone_key!r}")
    spec = LaunchSpec(
        launch_template_id=group.launch_template_id,
        launch_template_version=group.launch_template_version,
        instance_type=choice.instance_type,
        subnet_id=subnet,
        capacity_type=choice.capacity_type,
        tags=launch_tags(state),
        client_token=client_token(state.event_id, state.instance_id),
    )
    what = f"{choice.capacity_type} {choice.instance_type} in {subnet} from {group.launch_template_id}"
    if state.dry_run:
        return Launch(
            launched=False, capacity_type=choice.capacity_type, instance_type=choice.instance_type,
            subnet_id=subnet, dry_run=True, reasons=[f"dry run: would launch {what}"],
        )  # fmt: skip
    cluster = deps.registry.cluster(state.tenant_id, state.cluster)
    tenant = cluster.owner(deps.registry.tenant(state.tenant_id))
    launched = deps.cloud.launcher(tenant, state.region).launch(spec)
    reasons = [f"launched {launched.instance_id}: {what}"]
    if launched.private_dns_name:
        deps.registry.register_node(_new_node(state, choice, group, launched))
        reasons.append(f"registered as node {launched.private_dns_name}: its own notices will be handled")
    return Launch(
        launched=True, instance_id=launched.instance_id, capacity_type=choice.capacity_type,
        instance_type=choice.instance_type, subnet_id=subnet, node_name=launched.private_dns_name or None,
        reasons=reasons,
    )  # fmt: skip


def _new_node(state: DrainState, choice: Replacement, group: NodeGroup, launched: Launched) -> NodeRecord:
    """The replacement's registry record: the same tenant, cluster and node group, in the chosen pool."""
    zone = "" if AZ_ID_RE.match(choice.zone_key) else choice.zone_key
    return NodeRecord(
        instance_id=launched.instance_id, tenant_id=state.tenant_id, cluster=state.cluster,
        node_name=launched.private_dns_name, node_group=group.name, region=state.region,
        availability_zone=zone, az_id=choice.az_id, instance_type=choice.instance_type,
        capacity_type=choice.capacity_type, seen_at=to_epoch(state.event_time),
    )  # fmt: skip
