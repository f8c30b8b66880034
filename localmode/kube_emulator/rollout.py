"""The Deployment and StatefulSet controllers' reconcile: keep `spec.replicas` pods and roll a changed template.

A Deployment rolls as its RollingUpdate strategy says (maxSurge / maxUnavailable, default 25% / 25%, surge rounded
up and unavailability down, as the controller does): the new ReplicaSet grows while all pods stay within replicas +
maxSurge, and old pods go (unready ones first) only while replicas - maxUnavailable stay Ready; `Recreate` removes
every old pod before any new one starts. A StatefulSet's RollingUpdate replaces one pod at a time from the highest
ordinal (down to its partition), only once every pod is Ready; `OnDelete` waits for someone to delete them. A
DaemonSet replaces its pods node by node, at most maxUnavailable (default 1) of them not Ready at a time. New
pods carry the template as it is now and are bound by the emulator's scheduler; a pod a controller removes while
rolling is not an eviction (PodDisruptionBudgets govern evictions only), so it is counted apart (`pods_rolled`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localmode.kube_emulator.objects import Obj, is_ready
from localmode.kube_emulator.workloads import Key, Workloads, owned, revision_of

DEFAULT_SHARE = "25%"


@dataclass(frozen=True)
class Controllers:
    """What a controller does to pods: `create(obj, ordinal, revision)` one of `obj`'s template, `drop(key, rolled)`
    one of its own (a scale-down, or a rollout when `rolled`: no disruption budget consulted, no replacement)."""

    pods: dict[Key, Obj]
    workloads: Workloads
    create: Callable[[Obj, int | None, str], None]
    drop: Callable[[Key, bool], None]
    place: Callable[[Obj, str, str], None]  # (DaemonSet, revision, node): its pod pinned to that node


def surge_and_unavailable(obj: Obj, replicas: int) -> tuple[int, int]:
    rolling = ((obj["spec"].get("strategy") or {}).get("rollingUpdate")) or {}
    surge = _absolute(rolling.get("maxSurge", DEFAULT_SHARE), replicas, math.ceil)
    unavailable = _absolute(rolling.get("maxUnavailable", DEFAULT_SHARE), replicas, math.floor)
    if surge == 0 and unavailable == 0:
        unavailable = 1  # the API rejects both zero; the controller then lets one go at a time
    return surge, unavailable


def _absolute(value: Any, replicas: int, rounding: Callable[[float], int]) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return int(rounding(replicas * float(value[:-1]) / 100))
    return int(value)


def deployment(c: Controllers, key: Key, obj: Obj) -> None:
    live = owned(c.pods, c.workloads, "Deployment", key)
    current = c.workloads.revision(obj)
    new = [k for k in live if revision_of(c.pods[k], "Deployment") == current]
    old = [k for k in live if k not in new]
    replicas = int(obj["spec"].get("replicas", 1))
    for pod_key in new[replicas:] if len(new) > replicas else []:
        c.drop(pod_key, False)  # scaled down: newest go first (owned() orders by creation)
    new = new[:replicas]
    if not old:
        for _ in range(replicas - len(new)):
            c.create(obj, None, current)
        return
    if (obj["spec"].get("strategy") or {}).get("type") == "Recreate":
        for pod_key in old:
            c.drop(pod_key, True)
        return  # the new pods come on the next pass, once no old one runs
    surge, unavailable = surge_and_unavailable(obj, replicas)
    for _ in range(max(0, min(replicas + surge - len(new) - len(old), replicas - len(new)))):
        c.create(obj, None, current)
    ready = sum(1 for k in [*new, *old] if is_ready(c.pods[k]))
    for pod_key in old:
        if not is_ready(c.pods[pod_key]):
            c.drop(pod_key, True)  # it counts for no availability: it only holds back the new pods' surge room
        elif ready - 1 >= replicas - unavailable:
            c.drop(pod_key, True)
            ready -= 1


def statefulset(c: Controllers, key: Key, obj: Obj) -> None:
    live = owned(c.pods, c.workloads, "StatefulSet", key)  # by ordinal
    current = c.workloads.revision(obj)
    replicas = int(obj["spec"].get("replicas", 1))
    by_ordinal = {_ordinal(k): k for k in live}
    for ordinal in sorted(by_ordinal, reverse=True):
        if ordinal >= replicas:
            c.drop(by_ordinal.pop(ordinal), False)  # scaled down: highest ordinal first
    missing = [o for o in range(replicas) if o not in by_ordinal]
    for ordinal in missing:
        c.create(obj, ordinal, current)
    strategy = obj["spec"].get("updateStrategy") or {}
    if missing or strategy.get("type") == "OnDelete":
        return
    if not all(is_ready(c.pods[k]) for k in by_ordinal.values()):
        return  # one at a time: the pod replaced last must be Ready before the next goes
    partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
    for ordinal in sorted(by_ordinal, reverse=True):
        pod_key = by_ordinal[ordinal]
        if ordinal >= partition and revision_of(c.pods[pod_key], "StatefulSet") != current:
            c.drop(pod_key, True)  # recreated at the current revision, with the same name, on the next pass
            return


def _ordinal(key: Key) -> int:
    tail = key[1].rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def daemonset(c: Controllers, key: Key, obj: Obj) -> None:
    strategy = obj["spec"].get("updateStrategy") or {}
    if strategy.get("type") == "OnDelete":
        return
    current = c.workloads.revision(obj)
    live = [k for k in owned(c.pods, c.workloads, "DaemonSet", key) if c.pods[k]["spec"].get("nodeName")]
    allowed = int((strategy.get("rollingUpdate") or {}).get("maxUnavailable") or 1)
    room = allowed - sum(1 for k in live if not is_ready(c.pods[k]))
    old = sorted((k for k in live if revision_of(c.pods[k], "DaemonSet") != current),
                 key=lambda k: str(c.pods[k]["spec"]["nodeName"]))  # fmt: skip
    for pod_key in old[: max(room, 0)]:
        node = str(c.pods[pod_key]["spec"]["nodeName"])
        c.drop(pod_key, True)
        c.place(obj, current, node)  # the controller recreates the node's pod at the current revision
