"""The customer's Kubernetes API as the drain-and-replace use cases see it: a narrow port and its values.

No SDK here: `cloudoptim.adapters.kube.api.KubeApiAdapter` implements the port over the official client,
`tests.fakes.kube.FakeKube` in memory.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, computed_field

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
_TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})


class NodeStatus(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    ready: bool
    unschedulable: bool
    labels: dict[str, str] = {}
    provider_id: str | None = None  # aws:///<zone>/<instance-id> on EKS

    @computed_field  # type: ignore[prop-decorator]
    @property
    def instance_id(self) -> str | None:
        return instance_id_of(self.provider_id)


class PodRef(BaseModel):
    """What a drain needs to know about one pod."""

    model_config = ConfigDict(frozen=True)
    namespace: str
    name: str
    node_name: str | None = None
    owner_kind: str | None = None  # the controller owner: ReplicaSet, StatefulSet, DaemonSet, Job, Node, ...
    owner_name: str | None = None
    phase: str = "Running"
    ready: bool = False
    mirror: bool = False  # a static pod's API mirror: the kubelet owns it, eviction cannot remove it
    local_storage: bool = False  # emptyDir data is lost on eviction
    deleting: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def daemonset(self) -> bool:
        return self.owner_kind == "DaemonSet"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def terminal(self) -> bool:
        return self.phase in _TERMINAL_PHASES

    @property
    def needs_eviction(self) -> bool:
        """What `kubectl drain` evicts: DaemonSet pods would come straight back, mirrors cannot go."""
        return not (self.daemonset or self.mirror or self.terminal or self.deleting)


class EvictionResult(StrEnum):
    EVICTED = "evicted"
    BLOCKED_BY_PDB = "blocked_by_pdb"
    GONE = "gone"


class EvictionOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)
    namespace: str
    name: str
    result: EvictionResult
    message: str = ""  # for a refusal, the API's own words ("The disruption budget web needs 2 healthy pods ...")


class BudgetStatus(BaseModel):
    """A PodDisruptionBudget with the disruption controller's latest count."""

    model_config = ConfigDict(frozen=True)
    namespace: str
    name: str
    min_available: int | str | None = None
    max_unavailable: int | str | None = None
    match_labels: dict[str, str] = {}
    expected_pods: int = 0
    current_healthy: int = 0
    desired_healthy: int = 0
    disruptions_allowed: int = 0


class KubePort(Protocol):
    def get_node(self, name: str) -> NodeStatus | None: ...

    def node_for_instance(self, instance_id: str) -> str | None: ...

    def cordon(self, name: str) -> NodeStatus: ...

    def pods_on_node(self, name: str) -> list[PodRef]: ...

    def evict(self, namespace: str, name: str, grace_seconds: int | None = None) -> EvictionOutcome: ...

    def pdbs(self) -> list[BudgetStatus]: ...


def instance_id_of(provider_id: str | None) -> str | None:
    """`aws:///eu-west-1a/i-0abc` -> `i-0abc`; None for other providers."""
    if not provider_id or not provider_id.startswith("aws://"):
        return None
    last = provider_id.rstrip("/").rsplit("/", 1)[-1]
    return last if last.startswith("i-") else None
