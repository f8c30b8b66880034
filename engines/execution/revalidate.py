"""Re-validation before anything moves (spec section 5): a plan made on an older discovery is checked against the
cluster as it is now, and a stale one is re-planned, never forced. Each finding carries a code and its words.

Node plans are stale when a node they remove is gone or no longer Ready, a pod they move is gone or elsewhere, a
node they move pods to is gone or cordoned, or the pods moved to an existing node no longer fit there (their
requests changed). Workload patches are stale when the owner or container is gone or the change would no longer
lower anything (someone changed the requests since).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from engines.cluster.model import ClusterState, Resources


class StaleCode(StrEnum):
    NODE_GONE = "node-gone"
    NODE_NOT_READY = "node-not-ready"
    POD_GONE = "pod-gone"
    POD_ELSEWHERE = "pod-elsewhere"
    TARGET_GONE = "target-gone"
    TARGET_CORDONED = "target-cordoned"
    NO_LONGER_FITS = "no-longer-fits"
    OWNER_GONE = "owner-gone"
    CONTAINER_GONE = "container-gone"
    NOTHING_TO_LOWER = "nothing-to-lower"


@dataclass(frozen=True, slots=True)
class Stale:
    code: StaleCode
    reason: str


@dataclass(frozen=True, slots=True)
class PlannedMove:
    pod: str
    source: tuple[str, ...]  # the nodes the action removes: the pod must still be on one of them
    to: str  # an existing node or new:<k>


def stale_node_plan(
    state: ClusterState, removed: Sequence[str], moves: Sequence[PlannedMove], ready: Mapping[str, bool]
) -> list[Stale]:
    nodes = {n.name: n for n in state.nodes}
    pods = {p.key: p for p in state.pods if p.is_active}
    found: list[Stale] = []
    for name in removed:
        if name not in nodes:
            found.append(Stale(StaleCode.NODE_GONE, f"node {name} is gone"))
        elif not ready.get(name, True):
            found.append(Stale(StaleCode.NODE_NOT_READY, f"node {name} is not Ready"))
    arriving: dict[str, Resources] = defaultdict(Resources)
    for move in moves:
        pod = pods.get(move.pod)
        if pod is None:
            found.append(Stale(StaleCode.POD_GONE, f"pod {move.pod} is gone"))
            continue
        if pod.node not in move.source:
            found.append(Stale(StaleCode.POD_ELSEWHERE, f"pod {move.pod} runs on {pod.node}, not on the plan's node"))
        if move.to.startswith("new:"):
            continue
        target = nodes.get(move.to)
        if target is None:
            found.append(Stale(StaleCode.TARGET_GONE, f"node {move.to} that {move.pod} moves to is gone"))
        elif target.unschedulable:
            found.append(Stale(StaleCode.TARGET_CORDONED, f"node {move.to} that {move.pod} moves to is cordoned"))
        else:
            arriving[move.to] = arriving[move.to] + pod.requests
    found.extend(_overfull(state, arriving))
    return found


def _overfull(state: ClusterState, arriving: Mapping[str, Resources]) -> list[Stale]:
    load: dict[str, Resources] = defaultdict(Resources)
    for pod in state.pods:
        if pod.is_active and pod.node is not None and pod.node in arriving:
            load[pod.node] = load[pod.node] + pod.requests
    found = []
    for node in state.nodes:
        if node.name in arriving and not (load[node.name] + arriving[node.name]).fits_in(node.allocatable):
            found.append(Stale(StaleCode.NO_LONGER_FITS, f"the pods moved to {node.name} no longer fit there"))
    return found


@dataclass(frozen=True, slots=True)
class ContainerNow:
    """A container of the owner's pod template, as it is now (None: not set)."""

    cpu_request_cores: float | None
    memory_request_bytes: int | None
    memory_limit_bytes: int | None


@dataclass(frozen=True, slots=True)
class ContainerTarget:
    cpu_request_cores: float | None
    memory_request_bytes: int | None
    memory_limit_bytes: int | None


def stale_patch(owner: str, container: str, now: ContainerNow | None, target: ContainerTarget, *, owner_found: bool,
                grows_allowed: bool) -> list[Stale]:  # fmt: skip
    """`grows_allowed`: OOM remediation raises memory on purpose; rightsizing must lower something."""
    if not owner_found:
        return [Stale(StaleCode.OWNER_GONE, f"{owner} is gone")]
    if now is None:
        return [Stale(StaleCode.CONTAINER_GONE, f"{owner} has no container {container}")]
    pairs = [(now.cpu_request_cores, target.cpu_request_cores), (now.memory_request_bytes, target.memory_request_bytes),
             (now.memory_limit_bytes, target.memory_limit_bytes)]  # fmt: skip
    changes = [(before, after) for before, after in pairs if after is not None and before != after]
    if not changes:
        return [Stale(StaleCode.NOTHING_TO_LOWER, f"{owner}/{container} already has the recommended resources")]
    if not grows_allowed and not any(before is None or after < before for before, after in changes):
        return [Stale(StaleCode.NOTHING_TO_LOWER, f"{owner}/{container}: its requests changed, the patch lowers none")]
    return []
