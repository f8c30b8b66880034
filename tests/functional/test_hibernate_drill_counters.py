"""The hibernate drill's counters can fire: a restore mismatch when anything differs after the wake, a pending pod
when one cannot be placed (a drill that could only print zeros would prove nothing)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from localmode.hibernate_drill import mismatches, pods_pending
from localmode.kube_emulator import KubeEmulator, load_seed


def test_mismatches_name_every_changed_appeared_or_vanished_object() -> None:
    before = {"Deployment/a/web": 3, "CronJob/a/job": False, "NodeGroup/g": {"minSize": 1}}
    after = {"Deployment/a/web": 2, "CronJob/a/job": False, "NodeGroup/g": {"minSize": 1}, "Deployment/a/new": 1}
    assert mismatches(before, after) == ["Deployment/a/new", "Deployment/a/web"]
    assert mismatches(before, dict(before)) == []


def test_a_pod_no_node_can_hold_is_counted_pending() -> None:
    with KubeEmulator(load_seed(), pod_ready_seconds=0) as kube:
        stack: Any = SimpleNamespace(kube=kube)
        assert pods_pending(stack) == 0
        huge = {"metadata": {"name": "huge"}, "spec": {"containers": [
            {"name": "c", "image": "x", "resources": {"requests": {"cpu": "900", "memory": "1Ti"}}}]}}  # fmt: skip
        kube.store.create_pod("default", huge)
        assert pods_pending(stack) == 1
