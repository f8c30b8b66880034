"""The objects hibernation reads and changes, and the snapshot entries it keeps: values only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engines.cluster.gitops import GITOPS_MARKS as GITOPS_MARKS  # one rule, shared with the executions

KEDA_PAUSED = "autoscaling.keda.sh/paused"
KEDA_PAUSED_REPLICAS = "autoscaling.keda.sh/paused-replicas"
KEDA_KEYS = (KEDA_PAUSED, KEDA_PAUSED_REPLICAS)
OPT_OUT = "cloudoptim.io/hibernate"  # "false" on a workload keeps it awake
# A node group is scaled only when its owner tagged it so: the customer role may resize only those (docs/onboarding.md).
NODE_GROUP_OPT_IN = ("cloudoptim.io/hibernate", "true")


class Kind(StrEnum):
    DEPLOYMENT = "Deployment"
    STATEFULSET = "StatefulSet"
    CRONJOB = "CronJob"
    HPA = "HorizontalPodAutoscaler"
    SCALEDOBJECT = "ScaledObject"
    NODEGROUP = "NodeGroup"


SLEEP_ORDER = (Kind.SCALEDOBJECT, Kind.CRONJOB, Kind.DEPLOYMENT, Kind.STATEFULSET, Kind.HPA, Kind.NODEGROUP)
WAKE_PHASES: tuple[tuple[Kind, ...], ...] = (
    (Kind.NODEGROUP,),
    (Kind.STATEFULSET,),
    (Kind.DEPLOYMENT,),
    (Kind.HPA, Kind.SCALEDOBJECT, Kind.CRONJOB),
)


class SkipCode(StrEnum):
    EXCLUDED_NAMESPACE = "excluded-namespace"
    EXCLUDED_LABEL = "excluded-label"
    OPTED_OUT = "opted-out"
    GITOPS_MANAGED = "gitops-managed"
    TARGET_STAYS_AWAKE = "target-stays-awake"
    NODE_GROUP_NOT_OPTED_IN = "node-group-not-opted-in"


class DriftCode(StrEnum):
    CHANGED = "changed-while-asleep"
    GONE = "gone-while-asleep"


@dataclass(frozen=True, slots=True)
class Workload:
    """One Kubernetes object hibernation touches, with only the fields it reads or sets."""

    kind: Kind
    namespace: str
    name: str
    replicas: int | None = None  # Deployment, StatefulSet
    suspend: bool | None = None  # CronJob
    min_replicas: int | None = None  # HPA, ScaledObject
    max_replicas: int | None = None
    target: str | None = None  # HPA / ScaledObject: "Deployment/web"
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    pod_cpu_m: int = 0  # CPU request of one pod (Deployment, StatefulSet): larger pods are woken first

    @property
    def key(self) -> str:
        return f"{self.kind.value}/{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class NodeGroupSize:
    name: str
    min_size: int
    max_size: int
    desired: int
    opted_in: bool = True  # tagged cloudoptim.io/hibernate=true

    @property
    def key(self) -> str:
        return f"{Kind.NODEGROUP.value}//{self.name}"


@dataclass(frozen=True, slots=True)
class Inventory:
    workloads: tuple[Workload, ...]
    node_groups: tuple[NodeGroupSize, ...]

    def fields(self) -> dict[str, dict[str, Any]]:
        """Every object's hibernation fields by key, as snapshots hold them."""
        found = {w.key: fields_of(w) for w in self.workloads}
        found.update({g.key: node_group_fields(g) for g in self.node_groups})
        return found


def fields_of(workload: Workload) -> dict[str, Any]:
    if workload.kind in (Kind.DEPLOYMENT, Kind.STATEFULSET):
        return {"replicas": workload.replicas or 0}
    if workload.kind is Kind.CRONJOB:
        return {"suspend": bool(workload.suspend)}
    if workload.kind is Kind.HPA:
        return {"min_replicas": workload.min_replicas, "max_replicas": workload.max_replicas}
    return {"annotations": {key: workload.annotations.get(key) for key in KEDA_KEYS}}


def node_group_fields(group: NodeGroupSize) -> dict[str, Any]:
    return {"min_size": group.min_size, "max_size": group.max_size, "desired": group.desired}


@dataclass(frozen=True, slots=True)
class Entry:
    """One object in a snapshot: its fields before sleep and what sleep sets (equal when nothing changes)."""

    kind: Kind
    namespace: str
    name: str
    before: dict[str, Any]
    asleep: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.kind.value}/{self.namespace}/{self.name}"

    @property
    def changes(self) -> bool:
        return self.before != self.asleep

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "namespace": self.namespace, "name": self.name, "before": self.before,
                "asleep": self.asleep}  # fmt: skip

    @staticmethod
    def of(raw: Mapping[str, Any]) -> Entry:
        return Entry(Kind(raw["kind"]), str(raw["namespace"]), str(raw["name"]), dict(raw["before"]),
                     dict(raw["asleep"]))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Skipped:
    key: str
    code: SkipCode
    reason: str


@dataclass(frozen=True, slots=True)
class SleepPlan:
    entries: tuple[Entry, ...]  # in sleep order
    skipped: tuple[Skipped, ...]

    def count(self, kind: Kind, changing: bool = True) -> int:
        return sum(1 for e in self.entries if e.kind is kind and (e.changes or not changing))
