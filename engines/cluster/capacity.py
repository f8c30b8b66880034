"""What a new node offers to pods: EKS's allocatable for an instance type, and the node prices of a region."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from engines.cluster.model import ON_DEMAND, SPOT, NodeOffer, Resources
from engines.cluster.resources import EPHEMERAL_STORAGE, GPU
from engines.spot.model import InstanceType

MIB = 2**20
GIB = 2**30
DEFAULT_MAX_PODS = 110


def _gpus_of(vendor: str) -> Callable[[InstanceType], int | None]:
    # A catalogue without a vendor column (a user's own) means NVIDIA, the only vendor EKS's GPU AMI serves.
    return lambda t: t.gpus if t.gpu_vendor == vendor or (vendor == "nvidia" and not t.gpu_vendor) else 0


# The extended resources a node of a type advertises once its device plugin runs, as the catalogue records
# them (the names the plugins and Karpenter use). None: the catalogue does not know for that type.
DEVICE_RESOURCES: dict[str, Callable[[InstanceType], int | None]] = {
    GPU: _gpus_of("nvidia"),
    "amd.com/gpu": _gpus_of("amd"),
    "habana.ai/gaudi": _gpus_of("habana"),
    "aws.amazon.com/neuron": lambda t: t.neuron_devices,
    "aws.amazon.com/neurondevice": lambda t: t.neuron_devices,
    "aws.amazon.com/neuroncore": lambda t: t.neuron_cores,
    "vpc.amazonaws.com/efa": lambda t: t.efa_interfaces,
    "vpc.amazonaws.com/pod-eni": lambda t: t.branch_interfaces,
}
ACCELERATORS = frozenset({GPU, "amd.com/gpu", "habana.ai/gaudi", "aws.amazon.com/neuron", "aws.amazon.com/neurondevice",
                          "aws.amazon.com/neuroncore"})  # fmt: skip
# Set by the node's launch template (its root volume), not by the type: a replacement keeps the old node's.
INHERITED = frozenset({EPHEMERAL_STORAGE})


def offered(instance: InstanceType, resource: str) -> int | None:
    """How much of an extended `resource` a new node of this type offers; None when nobody can tell (a resource
    the catalogue does not describe, such as hugepages, or a device it does not know for this type)."""
    read = DEVICE_RESOURCES.get(resource)
    return None if read is None else read(instance)


def eks_allocatable(instance: InstanceType) -> Resources:
    """Allocatable as the EKS AMI's kubelet reserves it (kube-reserved by core tiers and by max pods)."""
    cores = instance.vcpus
    reserved_m = 0.0
    for index in range(cores):
        # 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% of the rest (the EKS AMI's table)
        reserved_m += 60 if index == 0 else 10 if index == 1 else 5 if index < 4 else 2.5
    max_pods = instance.max_pods or DEFAULT_MAX_PODS
    memory = int(instance.memory_gib * GIB) - (255 + 11 * max_pods) * MIB - 100 * MIB  # kube-reserved + eviction
    devices = {name: offered(instance, name) or 0 for name in DEVICE_RESOURCES}
    return Resources.named(
        devices | {"cpu": cores * 1000 - int(reserved_m), "memory": max(memory, 0), "pods": max_pods}
    )


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
