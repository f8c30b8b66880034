"""The rightsizing adapters: Prometheus matrices and `kubectl get pods,nodes,hpa -o json` lists."""

from __future__ import annotations

import json
import lzma
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudoptim.adapters.kube.workloads import load_inventory
from cloudoptim.adapters.prometheus import load_matrix
from cloudoptim.errors import InputFileError
from engines.rightsizing.inventory import WorkloadRef
from engines.rightsizing.policy import RightsizePolicy
from engines.rightsizing.recommend import rightsize
from engines.rightsizing.registry import get_strategy
from engines.rightsizing.usage import ContainerKey, UsageData

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rightsize"


def matrix(*series: dict[str, Any]) -> str:
    return json.dumps({"status": "success", "data": {"resultType": "matrix", "result": list(series)}})


def labels(pod: str = "p", container: str = "c", **extra: str) -> dict[str, str]:
    return {"namespace": "ns", "pod": pod, "container": container, **extra}


def test_fixture_matrices_load_and_skip_the_pause_container() -> None:
    cpu = load_matrix(FIXTURES / "cpu-usage.json")
    assert ContainerKey("shop", "db-0", "postgres") in cpu
    assert not any(k.container == "POD" for k in cpu)
    assert len(cpu[ContainerKey("shop", "db-0", "postgres")]) == 192


def test_series_of_one_container_merge_and_nan_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "m.json.xz"  # compressed input is read like the price files
    text = matrix(
        {"metric": labels(id="/a"), "values": [[1, "1"], [2, "NaN"], [3, "3"]]},
        {"metric": labels(id="/b"), "values": [[1, "5"], [4, "4"]]},
        {"metric": labels(container=""), "values": [[1, "9"]]},
    )
    path.write_bytes(lzma.compress(text.encode()))
    (series,) = load_matrix(path).values()
    assert series.timestamps.tolist() == [1, 3, 4] and series.values.tolist() == [5, 3, 4]


def test_negative_usage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(matrix({"metric": labels(), "values": [[1, "-1"]]}))
    with pytest.raises(InputFileError, match="negative usage"):
        load_matrix(path)


def test_fixture_workloads() -> None:
    inventory = load_inventory(FIXTURES / "workloads.json")
    web = inventory.pod("shop", "web-7d4b9c8f6d-abcde")
    assert web is not None and web.owner == WorkloadRef("Deployment", "web") and web.node == "ip-10-0-1-10"
    assert [(c.name, c.kind) for c in web.containers] == [("istio-proxy", "sidecar"), ("app", "container")]
    app = web.container("app")
    assert app is not None and app.resources.cpu_request_cores == 2 and app.resources.memory_limit_bytes == 8 * 2**30
    db = inventory.pod("shop", "db-0")
    assert db is not None and db.owner == WorkloadRef("StatefulSet", "db")
    assert db.containers[0].status.oom_killed and db.containers[0].status.restart_count == 1
    job = inventory.pod("shop", "migrate-job-q8x7z")
    assert job is not None and job.owner == WorkloadRef("Job", "migrate-job") and job.containers[0].kind == "init"
    assert inventory.nodes["ip-10-0-1-10"].allocatable_memory_bytes == 15221260 * 1024
    (db_hpa,) = inventory.autoscalers_of("shop", WorkloadRef("StatefulSet", "db"))
    assert db_hpa.scales_on("postgres", "cpu") and not db_hpa.scales_on("postgres", "memory")
    (web_hpa,) = inventory.autoscalers_of("shop", WorkloadRef("Deployment", "web"))
    assert web_hpa.scales_on("app", "memory") and not web_hpa.scales_on("istio-proxy", "memory")


def pod_item(name: str, owner: dict[str, Any] | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": "ns", "labels": labels or {}}
    if owner:
        metadata["ownerReferences"] = [{**owner, "controller": True}]
    container = {"name": "c", "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}}
    return {"kind": "Pod", "metadata": metadata, "spec": {"containers": [container]}}


def test_owners_hpa_v1_and_requests_defaulted_from_limits(tmp_path: Path) -> None:
    items = [
        pod_item("a-5d8f9c7b6-x1y2z", {"kind": "ReplicaSet", "name": "a-5d8f9c7b6"}),  # no hash label: by shape
        pod_item("b-abc", {"kind": "ReplicaSet", "name": "b-abc"}, {"pod-template-hash": "zzz"}),  # a bare RS
        pod_item("bare"),
        {
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h", "namespace": "ns"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "a"}, "targetCPUUtilizationPercentage": 50},
        },
    ]
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"kind": "List", "items": items}))
    inventory = load_inventory(path)
    owners = {p.name: p.owner for p in inventory.pods}
    assert owners == {
        "a-5d8f9c7b6-x1y2z": WorkloadRef("Deployment", "a"),
        "b-abc": WorkloadRef("ReplicaSet", "b-abc"),
        "bare": WorkloadRef("Pod", "bare"),
    }
    resources = inventory.pods[2].containers[0].resources
    assert resources.cpu_request_cores == 0.5 and resources.memory_request_bytes == 2**30
    (hpa,) = inventory.autoscalers
    assert hpa.resources == frozenset({"cpu"})


def test_a_pod_list_without_item_kinds(tmp_path: Path) -> None:
    path = tmp_path / "pods.json"
    item = pod_item("p")
    del item["kind"]
    path.write_text(json.dumps({"kind": "PodList", "items": [item]}))
    assert [p.name for p in load_inventory(path).pods] == ["p"]


SANITY = FIXTURES / "sanity"  # a raw CPU counter, a 1e300 and a +Inf memory sample (hand-made, Prometheus shapes)


def test_usage_that_cannot_be_real_is_refused_per_container_with_the_reason() -> None:
    usage = UsageData(load_matrix(SANITY / "cpu-usage.json"), load_matrix(SANITY / "memory-usage.json"))
    result = rightsize(usage, load_inventory(SANITY / "workloads.json"), RightsizePolicy(), get_strategy())
    by_container = {r.container: r for r in result.recommendations}
    coredns, api, cache = by_container["coredns"], by_container["api"], by_container["cache"]
    assert coredns.cpu_request_cores is None and "cumulative counter" in coredns.reasons[0]
    assert coredns.memory_request_bytes is not None  # its memory series is fine
    assert api.memory_request_bytes is None and any("peak 1e+300 bytes is more than its node" in r for r in api.reasons)
    assert api.cpu_request_cores is not None and api.cpu_request_cores <= 1.93
    assert cache.memory_request_bytes is None and any("1 infinite sample(s)" in r for r in cache.reasons)


def test_workloads_read_alike_from_yaml_and_from_typed_lists(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "workloads.json").read_text())
    as_yaml = tmp_path / "workloads.yaml"
    as_yaml.write_text(yaml.safe_dump(document))
    by_kind: dict[str, list[Any]] = {}
    for item in document["items"]:
        by_kind.setdefault(item["kind"], []).append({k: v for k, v in item.items() if k != "kind"})
    typed = tmp_path / "typed.json"  # `kubectl get --raw` answers, one after the other, items without kind
    typed.write_text("\n".join(json.dumps({"kind": f"{k}List", "items": v}) for k, v in by_kind.items()))
    expected = load_inventory(FIXTURES / "workloads.json")
    for path in (as_yaml, typed):
        found = load_inventory(path)
        assert found.pods == expected.pods and found.nodes == expected.nodes
        assert found.autoscalers == expected.autoscalers
