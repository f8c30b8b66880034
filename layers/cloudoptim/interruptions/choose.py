"""ChooseReplacement: the Spot engine picks the interrupted node's replacement, hive-mind filtered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cloudoptim.interruptions.execution import iso
from cloudoptim.interruptions.launch import AZ_ID_RE, node_group
from cloudoptim.interruptions.models import DrainState, Replacement
from cloudoptim.interruptions.ports import HiveMind, NodeGroup, Registry
from engines.interruption.hive import verdicts_for
from engines.interruption.replacement import ReplacementRequest, Zone, choose_replacement
from engines.spot.model import Catalog
from engines.spot.offerings import Offerings, RejectionCode
from engines.spot.risk import get_strategy

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
        if AZ_ID_RE.match(key):
            zones.append(Zone(key, az_id=key))
        else:  # an AZ name: its ID comes from the node group, or from the node for its own zone
            own = state.az_id if key == state.availability_zone else None
            zones.append(Zone(key, az_id=group.az_ids.get(key) or own, name=key))
    return tuple(zones)


def choose(state: DrainState, deps: ChooseDeps, now: int) -> Replacement:
    """The replacement for the interrupted node; never the interrupted pool, nor a pool the hive mind excludes for
    this tenant (its own flags, or three customers confirming it risky); other flags add risk."""
    offerings, at = deps.market.offerings(state.region, now)
    seen = deps.hive.in_region(state.region, now)
    hive = verdicts_for(state.tenant_id, seen.flags, now, records=seen.records)
    request = ReplacementRequest(
        region=state.region,
        instance_type=state.instance_type,
        availability_zone=state.availability_zone,
        az_id=state.az_id,
        capacity_type=state.capacity_type,
        zones=_zones(node_group(deps.registry, state), state),
    )
    choice = choose_replacement(request, offerings, deps.market.catalog, hive, get_strategy(), at)
    ours = [r.describe() for r in choice.rejections if r.code in _OURS]
    excluded = sum(1 for v in hive.values() if v.exclude)
    reasons = [
        *choice.reasons,
        f"{len(hive)} pool(s) flagged in {state.region}, {excluded} excluded for this tenant; "
        f"Spot prices as of {iso(at)}",
    ]
    return Replacement(
        capacity_type=choice.capacity_type,
        instance_type=choice.instance_type,
        zone_key=choice.zone_key,
        az_id=choice.az_id,
        hourly_price=choice.hourly_price,
        reasons=reasons,
        excluded=ours[:MAX_EXCLUDED_REPORTED],
    )
