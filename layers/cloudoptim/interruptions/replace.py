"""ChooseReplacement and LaunchReplacement: the Spot engine picks, the customer's EC2 launches."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from cloudoptim.errors import RecordNotFoundError
from cloudoptim.interruptions.execution import iso
from cloudoptim.interruptions.models import DrainState, Launch, Replacement
from cloudoptim.interruptions.ports import (
    CustomerCloud,
    HiveMind,
    Launched,
    LaunchSpec,
    NodeGroup,
    NodeRecord,
    Registry,
)
from engines.interruption.replacement import ReplacementRequest, Zone, choose_replacement
from engines.spot.model import Catalog
from engines.spot.offerings import Offerings, RejectionCode
from engines.spot.risk import get_strategy

_AZ_ID_RE = re.compile(r"^[a-z]+\d+-(?:[a-z]+\d+-)?az\d+$")
_TOKEN_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
MAX_EXCLUDED_REPORTED = 20  # keep the state well under Step Functions' 256 KB
# The exclusions this workflow makes and reports: the hive mind's flags and the interrupted pool itself.
_OURS = frozenset({RejectionCode.HIVE_MIND_FLAGGED, RejectionCode.INTERRUPTED_POOL})


class Market(Protocol):
    """Spot offerings of a region at a moment (Day-Zero data in the Lambda, synthetic markets in tests)."""

    @property
    def catalog(self) -> Catalog: ...
    def offerings(self, region: str, now: int) -> tuple[Offerings, int]: ...


@dataclass(frozen=True)
class ChooseDeps:
    registry: Registry
    hive: HiveMind
    market: Market


def _zones(group: NodeGroup | None, state: DrainState) -> tuple[Zone, ...]:
    if group is None:
        return ()
    zones = []
    for key in group.subnets:
        if _AZ_ID_RE.match(key):
            zones.append(Zone(key, az_id=key))
        else:  # an AZ name: its ID comes from the node group, or from the node for its own zone
            own = state.az_id if key == state.availability_zone else None
            zones.append(Zone(key, az_id=group.az_ids.get(key) or own, name=key))
    return tuple(zones)


def _node_group(registry: Registry, state: DrainState) -> NodeGroup | None:
    if state.node_group is None:
        return None
    cluster = registry.cluster(state.tenant_id, state.cluster)
    return cluster.node_groups.get(state.node_group)


def choose(state: DrainState, deps: ChooseDeps, now: int) -> Replacement:
    """The replacement for the interrupted node; never the interrupted pool or a pool flagged now."""
    offerings, at = deps.market.offerings(state.region, now)
    flagged = {f.pool for f in deps.hive.active_flags(state.region, now)}
    request = ReplacementRequest(
        region=state.region,
        instance_type=state.instance_type,
        availability_zone=state.availability_zone,
        az_id=state.az_id,
        capacity_type=state.capacity_type,
        zones=_zones(_node_group(deps.registry, state), state),
    )
    choice = choose_replacement(request, offerings, deps.market.catalog, flagged, get_strategy(), at)
    ours = [r.describe() for r in choice.rejections if r.code in _OURS]
    reasons = [*choice.reasons, f"{len(flagged)} pool(s) flagged in {state.region}; Spot prices as of {iso(at)}"]
    return Replacement(
        capacity_type=choice.capacity_type,
        instance_type=choice.instance_type,
        zone_key=choice.zone_key,
        az_id=choice.az_id,
        hourly_price=choice.hourly_price,
        reasons=reasons,
        excluded=ours[:MAX_EXCLUDED_REPORTED],
    )


@dataclass(frozen=True)
class LaunchDeps:
    registry: Registry
    cloud: CustomerCloud


def client_token(event_id: str, instance_id: str) -> str:
    """EC2 ClientToken (at most 64 ASCII characters): one launch per notice and instance, even on retry."""
    return _TOKEN_UNSAFE.sub("-", f"{event_id}-{instance_id}")[-64:]


def launch(state: DrainState, deps: LaunchDeps) -> Launch:
    choice = state.replacement
    if choice is None:
        raise RecordNotFoundError("LaunchReplacement needs a replacement chosen first")
    group = _node_group(deps.registry, state)
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
        tags={"cloudoptim:tenant": state.tenant_id, "cloudoptim:replaces": state.instance_id},
        client_token=client_token(state.event_id, state.instance_id),
    )
    what = f"{choice.capacity_type} {choice.instance_type} in {subnet} from {group.launch_template_id}"
    if state.dry_run:
        return Launch(
            launched=False, capacity_type=choice.capacity_type, instance_type=choice.instance_type,
            subnet_id=subnet, dry_run=True, reasons=[f"dry run: would launch {what}"],
        )  # fmt: skip
    tenant = deps.registry.tenant(state.tenant_id)
    launched = deps.cloud.launcher(tenant, state.region).launch(spec)
    reasons = [f"launched {launched.instance_id}: {what}"]
    if launched.private_dns_name:
        deps.registry.register_node(_new_node(state, choice, group, launched))
        reasons.append(f"registered as node {launched.private_dns_name}: its own notices will be handled")
    return Launch(
        launched=True, instance_id=launched.instance_id, capacity_type=choice.capacity_type,
        instance_type=choice.instance_type, subnet_id=subnet, reasons=reasons,
    )  # fmt: skip


def _new_node(state: DrainState, choice: Replacement, group: NodeGroup, launched: Launched) -> NodeRecord:
    """The replacement's registry record: the same tenant, cluster and node group, in the chosen pool."""
    zone = "" if _AZ_ID_RE.match(choice.zone_key) else choice.zone_key
    return NodeRecord(
        instance_id=launched.instance_id, tenant_id=state.tenant_id, cluster=state.cluster,
        node_name=launched.private_dns_name, node_group=group.name, region=state.region,
        availability_zone=zone, az_id=choice.az_id, instance_type=choice.instance_type,
        capacity_type=choice.capacity_type,
    )  # fmt: skip
