"""In-memory fakes of hibernation's ports: a cluster whose workloads and node groups can be changed and read back,
with Kubernetes' rule that an HPA does nothing to a target at zero, and faults to inject."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from cloudoptim.hibernation.ports import NodeCount
from cloudoptim.tenancy.ports import Json
from engines.hibernation.plan import Change, Inventory, Kind, NodeGroupSize, Workload
from tests.fakes.faulty import _Faulty


@dataclass
class FakeCluster(_Faulty):
    workloads: dict[str, Workload] = field(default_factory=dict)
    groups: dict[str, NodeGroupSize] = field(default_factory=dict)
    pending: int = 0
    unready: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # every change applied, in order ("Kind/ns/name" or group)

    @staticmethod
    def of(workloads: Sequence[Workload], groups: Sequence[NodeGroupSize]) -> FakeCluster:
        return FakeCluster({w.key: w for w in workloads}, {g.name: g for g in groups})

    def inventory(self) -> Inventory:
        self._check("inventory")
        return Inventory(tuple(self.workloads.values()), ())

    def apply(self, change: Change) -> None:
        self._check("apply")
        current = self.workloads[change.key]
        fields = change.fields
        if "replicas" in fields:
            updated = dataclasses.replace(current, replicas=int(fields["replicas"]))
        elif "suspend" in fields:
            updated = dataclasses.replace(current, suspend=bool(fields["suspend"]))
        elif "annotations" in fields:
            notes = {**current.annotations, **fields["annotations"]}
            updated = dataclasses.replace(current, annotations={k: v for k, v in notes.items() if v is not None})
        else:
            updated = dataclasses.replace(
                current, min_replicas=fields["min_replicas"], max_replicas=fields["max_replicas"]
            )
        self.workloads[change.key] = updated
        self.changes.append(change.key)

    def nodes(self) -> NodeCount:
        count = sum(g.desired for g in self.groups.values())
        return NodeCount(count, count)

    def pods_pending(self) -> int:
        return self.pending

    def not_ready(self, kind: Kind) -> Sequence[str]:
        return list(self.unready)

    def sizes(self, names: Sequence[str]) -> list[NodeGroupSize]:
        self._check("sizes")
        return [self.groups[n] for n in names if n in self.groups]

    def resize(self, name: str, min_size: int, max_size: int, desired: int) -> None:
        self._check("resize")
        self.groups[name] = NodeGroupSize(name, min_size, max_size, desired)
        self.changes.append(f"NodeGroup//{name}")


@dataclass
class FakeAccess:
    clusters: dict[tuple[str, str], FakeCluster] = field(default_factory=dict)

    def workloads(self, tenant: str, cluster: Json, account: Json) -> FakeCluster:
        return self.clusters[(tenant, str(cluster["name"]))]

    def node_groups(self, tenant: str, cluster: Json, account: Json) -> FakeCluster:
        return self.clusters[(tenant, str(cluster["name"]))]
