"""`cloudoptim consolidate` and `cloudoptim rightsize-nodes` end to end on a small kubectl-format cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main

CLUSTER = Path(__file__).parent.parent / "fixtures" / "cluster-small.json"
ACTION_FIELDS = {"type", "nodes", "replacement", "moves", "reasons"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_consolidate_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "consolidate", "--cluster", str(CLUSTER), "--format", "json")
    assert code == 0
    plan = json.loads(out)
    for key in ("cost_before_per_hour", "cost_after_per_hour", "actions", "blocked", "lower_bound_cost_per_hour"):
        assert key in plan
    assert plan["cost_after_per_hour"] < plan["cost_before_per_hour"]
    assert plan["lower_bound_cost_per_hour"] <= plan["cost_after_per_hour"]
    assert plan["actions"] and all(set(a) >= ACTION_FIELDS for a in plan["actions"])
    acted = {n for a in plan["actions"] for n in a["nodes"]}
    kept = {b["node"] for b in plan["blocked"]}
    assert acted | kept == {f"node-{c}" for c in "abcdef"} and not acted & kept
    reasons = {b["node"]: b["reason"] for b in plan["blocked"]}
    assert reasons["node-e"] == "node annotated karpenter.sh/do-not-disrupt"
    assert "no controller" in reasons["node-d"] and "local storage" in reasons["node-f"]
    moved = {m["pod"] for a in plan["actions"] for m in a["moves"]}
    assert "shop/batch" not in moved and "shop/scratch" not in moved


def test_consolidate_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "consolidate", "--cluster", str(CLUSTER))
    assert code == 0
    assert out.startswith("cost $") and "no plan can go below" in out and "node(s) kept" in out


def test_rightsize_nodes_only_replaces_one_for_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "rightsize-nodes", "--cluster", str(CLUSTER), "--format", "json")
    assert code == 0
    plan = json.loads(out)
    assert all(a["type"] == "replace" and len(a["nodes"]) == 1 for a in plan["actions"])
    assert all(a["replacement"]["instance_type"] for a in plan["actions"])


def test_policy_file_is_applied(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"excluded_namespaces": ["kube-system", "shop"]}))
    code, out, _ = run(capsys, "consolidate", "--cluster", str(CLUSTER), "--policy", str(policy), "--format", "json")
    assert code == 0
    assert all(not a["moves"] for a in json.loads(out)["actions"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"kind": "List"}', "expected a Kubernetes List"),
        ('{"kind": "List", "items": []}', "has no Node objects"),
        (
            '{"kind":"List","items":[{"kind":"Node","metadata":{"name":"x"},"status":{"allocatable":{"cpu":"lots"}}}]}',
            "'lots' is not a Kubernetes quantity",
        ),
        ('{"kind":"List","items":[{"kind":"Node","metadata":{"name":"x"},"status":{}}]}', "allocatable is missing"),
    ],
)
def test_bad_cluster_file_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "cluster.json"
    path.write_text(content)
    code, out, err = run(capsys, "consolidate", "--cluster", str(path), "--format", "json")
    assert code == 2 and out == ""
    assert message in err and str(path) in err and len(err.strip().splitlines()) == 1


def test_bad_policy_names_the_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"min_savings_per_hour": -1}))
    code, _, err = run(capsys, "consolidate", "--cluster", str(CLUSTER), "--policy", str(policy))
    assert code == 2 and "min_savings_per_hour" in err


def test_unknown_region_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "consolidate", "--cluster", str(CLUSTER), "--region", "mars-north-1")
    assert code == 2 and "unknown region 'mars-north-1'" in err
