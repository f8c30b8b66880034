"""What a new node offers to pods: EKS's allocatable for an instance type, and the node prices of a region."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engines.cluster.model import ON_DEMAND, SPOT, NodeOffer, Resources
from engines.spot.model import InstanceType

MIB = 2**20
GIB = 2**30
DEFAULT_MAX_PODS = 110


def eks_allocatable(instance: InstanceType) -> Resources:
    """Allocatable as the EKS AMI's kubelet reserves it (kube-reserved by core tiers and by max pods)."""
    cores = instance.vcpus
    reserved_m = 0.0
    for index in range(cores):
        # 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% of the rest (the EKS AMI's table)
        reserved_m += 60 if index == 0 else 10 if index == 1 else 5 if index < 4 else 2.5
    max_pods = instance.max_pods or DEFAULT_MAX_PODS
    memory = int(instance.memory_gib * GIB) - (255 + 11 * max_pods) * MIB - 100 * MIB  # kube-reserved + eviction
    return Resources(cpu_m=cores * 1000 - int(reserved_m), memory=max(memory, 0), gpu=instance.gpus, pods=max_pods)


@dataclass(frozen=True)
class PriceBook:
    """Hourly prices of a region: On-Demand by type, Spot by (type, zone), and the catalogue to launch from."""

    region: str
    instance_types: Mapping[str, InstanceType]
    on_demand: Mapping[str, float]
    spot: Mapping[tuple[str, str], float]
    notes: Mapping[str, str] = field(default_factory=dict)  # instance type -> how its price was estimated
    # offers() per (zones, capacity types): the book never changes, and planners ask again for every search
    _offers: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[NodeOffer, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def price(self, instance_type: str, zone: str, capacity_type: str) -> float | None:
        if capacity_type == SPOT:
            return self.spot.get((instance_type, zone))
        return self.on_demand.get(instance_type)

    def offers(self, zones: tuple[str, ...], capacity_types: tuple[str, ...]) -> list[NodeOffer]:
        """Every priced (type, zone, capacity type) the planner may launch, cheapest first."""
        cached = self._offers.get((zones, capacity_types))
        if cached is not None:
            return list(cached)
        offers: list[NodeOffer] = []
        for instance in self.instance_types.values():
            allocatable = eks_allocatable(instance)
            for zone in zones:
                for capacity_type in capacity_types:
                    price = self.price(instance.name, zone, capacity_type)
                    if price is not None and price > 0:
                        offers.append(NodeOffer(instance.name, zone, capacity_type, price, allocatable, instance.arch))
        offers.sort(key=lambda o: (o.price_per_hour, o.instance_type, o.zone))
        self._offers[(zones, capacity_types)] = tuple(offers)
        return offers


CAPACITY_TYPES = (ON_DEMAND, SPOT)
