"""Local mode's seed has one OOM-killed container, shaped as the kubelet reports it, that discovery and the
rightsizing inventory both read as an OOM kill; the shipped file itself is not changed."""

from __future__ import annotations

import copy

from cloudoptim.adapters.kube.documents import objects_of
from cloudoptim.adapters.kube.workloads import inventory_of
from cloudoptim.optimization.discover import oom_kills
from engines.rightsizing.oom import remediate
from engines.rightsizing.policy import OomPolicy
from localmode.cluster_seed import OOM_LIMIT_BYTES, with_oom_kill
from localmode.kube_emulator import load_seed
from tests.fakes.kube_cluster import cluster, pod


def test_one_sidecar_of_the_shipped_seed_was_oom_killed_and_is_read_as_such() -> None:
    seed = load_seed()
    pristine = copy.deepcopy(seed)
    patched = with_oom_kill(seed)
    assert seed == pristine  # a copy: the shipped document is left as it is
    [killed] = oom_kills(patched["items"])
    assert killed["container"] == "log-shipper"
    inventory = inventory_of(objects_of([patched], "seed"), "seed")
    found = inventory.pod(killed["namespace"], killed["pod"])
    assert found is not None
    container = found.container("log-shipper")
    assert container is not None and container.status.oom_killed and container.status.restart_count == 1
    limit = container.resources.ceiling("memory")
    assert limit is not None and limit <= OOM_LIMIT_BYTES
    fix = remediate(found, container, 0.0, None, OomPolicy())
    assert fix is not None and fix.new_memory_bytes is not None and fix.new_memory_bytes > limit
    others = [p for p in inventory.pods if p.name != killed["pod"]]
    assert not any(c.status.oom_killed for p in others for c in p.containers)


def test_a_seed_without_a_small_sidecar_is_left_without_an_oom_kill() -> None:
    seed = cluster(pod("shop", "web-6d4f8-00001", "node-a", {"app": "web"}))
    assert oom_kills(with_oom_kill(seed)["items"]) == []


def test_the_statuses_are_what_the_official_client_deserialises() -> None:
    from kubernetes.client import V1Pod

    patched = with_oom_kill(load_seed())
    [killed] = oom_kills(patched["items"])
    raw = next(i for i in patched["items"] if i.get("kind") == "Pod" and i["metadata"]["name"] == killed["pod"])
    pod = V1Pod.model_validate(raw)  # what the client does with the API's answer to a read or list
    assert pod.status is not None
    [status] = [s for s in pod.status.container_statuses or [] if s.name == "log-shipper"]
    terminated = status.last_state.terminated if status.last_state else None
    assert terminated is not None and terminated.reason == "OOMKilled" and terminated.exit_code == 137
