"""A drain reads pods and nodes as JSON (no V1Pod, V1Node models): the same values as through the official models."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes.client import ApiClient

from cloudoptim.adapters.kube.api import _node, _pod, node_from_json, pod_from_json
from cloudoptim.interruptions.kube import MIRROR_ANNOTATION

FULL: dict[str, Any] = {
    "metadata": {
        "name": "web-1", "namespace": "shop", "deletionTimestamp": "2026-01-01T00:00:00Z",
        "annotations": {MIRROR_ANNOTATION: "x"},
        "ownerReferences": [
            {"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "1"},
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "2", "controller": True},
        ],
    },
    "spec": {"nodeName": "node-a", "containers": [{"name": "c"}], "volumes": [{"name": "tmp", "emptyDir": {}}]},
    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
}  # fmt: skip
BARE: dict[str, Any] = {"metadata": {"name": "lonely"}, "spec": {"containers": [{"name": "c"}]}}


@pytest.mark.parametrize("item", [FULL, BARE], ids=["every-field", "bare"])
def test_a_pod_read_as_json_is_the_pod_read_through_the_models(item: dict[str, Any]) -> None:
    model = ApiClient()._ApiClient__deserialize(item, "V1Pod")  # type: ignore[attr-defined]
    assert pod_from_json(item) == _pod(model)


def test_the_json_reading_sees_what_a_drain_decides_on() -> None:
    pod = pod_from_json(FULL)
    assert (pod.owner_kind, pod.owner_name, pod.ready, pod.mirror, pod.local_storage, pod.deleting) == (
        "ReplicaSet", "web", True, True, True, True,
    )  # fmt: skip
    assert pod_from_json(BARE).namespace == "default" and pod_from_json(BARE).phase == "Pending"


NODE: dict[str, Any] = {
    "metadata": {"name": "node-a", "labels": {"eks.amazonaws.com/capacityType": "SPOT"}},
    "spec": {"providerID": "aws:///eu-west-1a/i-0abc", "unschedulable": True},
    "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}]},
}


@pytest.mark.parametrize("item", [NODE, {"metadata": {"name": "bare"}}], ids=["every-field", "bare"])
def test_a_node_read_as_json_is_the_node_read_through_the_models(item: dict[str, Any]) -> None:
    model = ApiClient()._ApiClient__deserialize(item, "V1Node")  # type: ignore[attr-defined]
    assert node_from_json(item) == _node(model)
    assert node_from_json(NODE).instance_id == "i-0abc" and node_from_json(NODE).ready
