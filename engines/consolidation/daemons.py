"""DaemonSet overhead: what a new node loses to the DaemonSet pods that will start on it."""

from __future__ import annotations

from dataclasses import dataclass

from engines.cluster.model import ClusterState, Node, Pod, Resources


@dataclass(frozen=True)
class DaemonSets:
    representatives: tuple[Pod, ...]  # the largest pod of each DaemonSet

    @staticmethod
    def of(state: ClusterState) -> DaemonSets:
        largest: dict[tuple[str, str], Pod] = {}
        for pod in state.pods:
            if pod.is_daemon and pod.is_active:
                key = (pod.namespace, pod.owner_name or pod.name)
                held = largest.get(key)
                if (
                    held is None
                    or pod.requests.cpu_m + pod.requests.memory > held.requests.cpu_m + held.requests.memory
                ):
                    largest[key] = pod
        return DaemonSets(tuple(largest.values()))

    def overhead(self, node: Node) -> Resources:
        total = Resources()
        for pod in self.representatives:
            if pod.static_fit(node) is None:
                total = total + pod.requests
        return total
