"""`cloudoptim analyze` end to end on a small cluster written in the formats users export.

The fixtures are built here: a `kubectl get nodes,pods,pdb -A -o json` List (four m5.xlarge On-Demand nodes in
eu-west-1, one Deployment of six replicas asking for 1.5 cores and 6 GiB each) and two Prometheus `query_range`
matrices (CPU cores, working-set bytes: 3 days at 5 minutes, the replicas using a tenth of their CPU and a
quarter of their memory, with one memory spike per pod).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli.main import main

GIB = 2**30
START = 1_750_000_000
STEPS = 3 * 288
PODS = [f"web-7d4b9c8f6d-p{i}" for i in range(6)]
KEYS = {"cost_before_per_hour", "cost_after_per_hour", "savings_pct", "by_capability", "nodes_after", "placements",
        "requests", "reasons"}  # fmt: skip


def _node(i: int) -> dict[str, Any]:
    zone = "eu-west-1a" if i % 2 == 0 else "eu-west-1b"
    labels = {
        "kubernetes.io/hostname": f"node-{i}",
        "node.kubernetes.io/instance-type": "m5.xlarge",
        "topology.kubernetes.io/zone": zone,
        "topology.kubernetes.io/region": "eu-west-1",
        "karpenter.sh/capacity-type": "on-demand",
        "karpenter.sh/nodepool": "default",
    }
    allocatable = {"cpu": "3920m", "memory": "14162Mi", "pods": "58"}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{i}", "labels": labels},
            "spec": {}, "status": {"allocatable": allocatable, "capacity": allocatable}}  # fmt: skip


def _pod(i: int, name: str) -> dict[str, Any]:
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c8f6d", "uid": "u", "controller": True}
    resources = {"requests": {"cpu": "1500m", "memory": "6Gi"}, "limits": {"memory": "6Gi"}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": "web"}, "ownerReferences": [owner]},
        "spec": {"nodeName": f"node-{i % 4}", "containers": [{"name": "app", "resources": resources}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }


def _matrix(value: Any) -> dict[str, Any]:
    result = [
        {"metric": {"namespace": "shop", "pod": pod, "container": "app"},
         "values": [[START + 300 * s, repr(value(p, s))] for s in range(STEPS)]}
        for p, pod in enumerate(PODS)
    ]  # fmt: skip
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def peak(p: int) -> float:
    return 0.25 * 6 * GIB + (p + 1) * 100e6


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    cluster = {"apiVersion": "v1", "kind": "List", "items": [_node(i) for i in range(4)] +
               [_pod(i, name) for i, name in enumerate(PODS)]}  # fmt: skip
    memory = _matrix(lambda p, s: peak(p) if s == 100 + p else 0.25 * 6 * GIB)
    cpu = _matrix(lambda p, s: 0.15 + 0.01 * (s % 7))
    paths = {"cluster": tmp_path / "cluster.json", "cpu": tmp_path / "cpu.json", "memory": tmp_path / "memory.json"}
    for name, body in (("cluster", cluster), ("cpu", cpu), ("memory", memory)):
        paths[name].write_text(json.dumps(body))
    return {k: str(v) for k, v in paths.items()}


def run(capsys: pytest.CaptureFixture[str], files: dict[str, str], *extra: str) -> tuple[int, str, str]:
    argv = ["analyze", "--cluster", files["cluster"], "--cpu-usage", files["cpu"], "--memory-usage", files["memory"]]
    code = main([*argv, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_composes_rightsizing_consolidation_and_spot_in_one_ledger(
    capsys: pytest.CaptureFixture[str], files: dict[str, str]
) -> None:
    code, out, err = run(capsys, files, "--format", "json")
    assert code == 0, err
    body = json.loads(out)
    assert set(body) >= KEYS
    assert body["problems"] == []
    saved = body["cost_before_per_hour"] - body["cost_after_per_hour"]
    assert sum(body["by_capability"].values()) == pytest.approx(saved, abs=1e-6)
    assert 0 < saved <= body["cost_before_per_hour"]
    assert body["by_capability"]["workload_rightsizing"] > 0  # 6 x 1.5 cores never fit fewer nodes unresized
    live = {n["name"] for n in body["nodes_after"]}
    assert len(live) < 4
    assert {p["pod"] for p in body["placements"]} == {f"shop/{p}" for p in PODS}
    assert all(p["node"] in live for p in body["placements"])
    for row in body["requests"]:
        assert row["memory_request_bytes"] >= peak(PODS.index(row["pod"]))
        assert row["cpu_request_cores"] < 1.5


def test_flagged_pools_receive_no_spot_node(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], tmp_path: Path
) -> None:
    flagged = tmp_path / "flagged.json"
    flagged.write_text(json.dumps({f"m5.xlarge/eu-west-1{z}": "hive mind: interrupted" for z in "abc"}))
    code, out, err = run(capsys, files, "--format", "json", "--flagged-pools", str(flagged))
    assert code == 0, err
    body = json.loads(out)
    assert all(n["capacity_type"] == "on-demand" or n["instance_type"] != "m5.xlarge" for n in body["nodes_after"])


def test_table_names_the_totals(capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> None:
    code, out, err = run(capsys, files)
    assert code == 0, err
    assert "by capability: workload_rightsizing" in out


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"spot": {"max_risk": 2}}, "spot.max_risk"),
        ({"consolidation": {"no_such": 1}}, "consolidation.no_such"),
        ([], "expected a JSON object"),
    ],
)
def test_bad_policy_is_one_line_naming_the_field(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], tmp_path: Path, policy: Any, message: str
) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    code, out, err = run(capsys, files, "--policy", str(path))
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_missing_or_wrong_usage_file_is_named(capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> None:
    code, _, err = run(capsys, {**files, "cpu": files["cpu"] + ".missing"})
    assert code == 2 and "cpu.json.missing" in err and err.count("\n") == 1
    code, _, err = run(capsys, {**files, "memory": files["cluster"]})
    assert code == 2 and "cluster.json" in err and err.count("\n") == 1
