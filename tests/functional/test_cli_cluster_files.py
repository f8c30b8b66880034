"""`cloudoptim consolidate` on cluster files as users export them (tests/fixtures/kube, hand-made in kubectl's shapes).

Each case is one way real exports differ: typed lists without per-item kind, YAML, two answers in one file, nodes
without pods, labels of EKS, Karpenter and kops, nodes that cannot be priced.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main
from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.node_prices import price_book

KUBE = Path(__file__).parent.parent / "fixtures" / "kube"
EXPORT = "kubectl get nodes,pods,pdb -A -o json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def plan_of(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> dict[str, object]:
    code, out, err = run(capsys, "consolidate", "--cluster", str(path), "--format", "json", *extra)
    assert code == 0, err
    plan: dict[str, object] = json.loads(out)
    return plan


def test_typed_lists_without_kind_and_two_concatenated_answers_read_alike(capsys: pytest.CaptureFixture[str]) -> None:
    raw = plan_of(capsys, KUBE / "raw-typed-lists.json")  # NodeList then PodList, items without kind
    two = plan_of(capsys, KUBE / "two-lists.json")  # two kubectl Lists one after the other
    assert raw["input"] == {"file": str(KUBE / "raw-typed-lists.json"), "region": "us-east-1",
                            "kinds": {"Node": 3, "Pod": 6}}  # fmt: skip
    assert two["input"]["kinds"] == {"Node": 3, "Pod": 6}  # type: ignore[index]
    for key in ("cost_before_per_hour", "cost_after_per_hour", "pods_moved", "actions"):
        assert raw[key] == two[key]


def test_nodes_without_pods_are_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("eks-us-east-1-nodes.json", "eks-nodes-and-deployments.json"):
        for command in ("consolidate", "rightsize-nodes"):
            code, out, err = run(capsys, command, "--cluster", str(KUBE / name))
            assert code == 2 and out == ""
            assert len(err.strip().splitlines()) == 1
            assert name in err and "no Pod" in err and EXPORT in err and "--nodes-are-empty" in err


def test_nodes_declared_empty_may_go(capsys: pytest.CaptureFixture[str]) -> None:
    plan = plan_of(capsys, KUBE / "eks-us-east-1-nodes.json", "--nodes-are-empty")
    actions = plan["actions"]
    assert isinstance(actions, list) and actions
    assert all(a["moves"] == [] and "no pods other than DaemonSets" in a["reasons"][0] for a in actions)


def test_region_comes_from_the_nodes_and_spot_prices_from_their_az_ids(capsys: pytest.CaptureFixture[str]) -> None:
    plan = plan_of(capsys, KUBE / "raw-typed-lists.json")
    book = price_book(load_day_zero(), "us-east-1")  # the shipped us-east-1 Spot prices are keyed by AZ ID
    # two Spot m5.xlarge in use1-az4 and use1-az6 (zone-id labels), one On-Demand m5.2xlarge: us-east-1 rates
    expected = (
        book.spot[("m5.xlarge", "use1-az4")] + book.spot[("m5.xlarge", "use1-az6")] + book.on_demand["m5.2xlarge"]
    )
    assert plan["cost_before_per_hour"] == pytest.approx(expected, abs=1e-4)
    assert plan["unpriced_nodes"] == []


def test_region_conflicts_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "consolidate", "--cluster", str(KUBE / "two-lists.json"), "--region", "eu-west-1")
    assert code == 2 and "--region eu-west-1" in err and "us-east-1" in err
    document = json.loads((KUBE / "raw-typed-lists.json").read_text().splitlines()[0])
    document["items"][0]["metadata"]["labels"]["topology.kubernetes.io/region"] = "eu-west-1"
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps(document) + "\n" + (KUBE / "raw-typed-lists.json").read_text().splitlines()[1])
    code, _, err = run(capsys, "consolidate", "--cluster", str(mixed))
    assert code == 2 and "several regions" in err and "eu-west-1 (1 nodes)" in err


def test_no_region_anywhere_asks_for_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (KUBE / "two-lists.json").read_text()
    for key in (
        '"topology.kubernetes.io/region": "us-east-1",',
        '"failure-domain.beta.kubernetes.io/region": "us-east-1",',
    ):
        text = text.replace(key, "")
    for zone in ("us-east-1a", "us-east-1b", "us-east-1c"):
        text = text.replace(f'"{zone}"', '"zone-without-region"')
    for zone_id in ("use1-az4", "use1-az6", "use1-az1"):
        text = text.replace(f'"{zone_id}"', '"unknown"')
    path = tmp_path / "cluster.json"
    path.write_text(text)
    code, _, err = run(capsys, "consolidate", "--cluster", str(path))
    assert code == 2 and "pass --region" in err
    assert run(capsys, "consolidate", "--cluster", str(path), "--region", "us-east-1")[0] == 0


def test_kops_yaml_spot_label_and_an_unpriced_node(capsys: pytest.CaptureFixture[str]) -> None:
    plan = plan_of(capsys, KUBE / "kops-eu-central-1.yaml")
    assert plan["input"]["region"] == "eu-central-1"  # type: ignore[index]  # from the zone: no region label
    unpriced = "i-07a1c2b3d4e5f6a73"  # no instance-type label
    assert plan["unpriced_nodes"] == [unpriced]
    blocked = {b["node"]: b["reason"] for b in plan["blocked"]}  # type: ignore[attr-defined]
    assert "no instance-type label" in blocked[unpriced]
    # `lifecycle: spot` nodes are priced as Spot, at the highest price of the region's AZs (no zone-id label)
    assert any("highest of its 3 AZ IDs" in note for note in plan["price_notes"])  # type: ignore[attr-defined]
    actions = plan["actions"]  # each action's reasons end with the age of the prices it rests on (issue 15)
    assert all(any("spot in eu-central-1a" in r for r in a["reasons"]) for a in actions)  # type: ignore[attr-defined]
    code, out, _ = run(capsys, "consolidate", "--cluster", str(KUBE / "kops-eu-central-1.yaml"))
    assert code == 0 and "(1 unpriced node(s) left out of both)" in out.splitlines()[0]
    assert "3 Node, 6 Pod; region eu-central-1" in out


def test_a_cluster_without_any_price_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (
        (KUBE / "two-lists.json")
        .read_text()
        .replace('"m5.xlarge"', '"x9.nonsense"')
        .replace('"m5.2xlarge"', '"x9.nonsense"')
    )
    path = tmp_path / "cluster.json"
    path.write_text(text)
    code, out, _ = run(capsys, "consolidate", "--cluster", str(path))
    assert code == 0 and out.startswith("no node has a price: costs unknown for all 3 node(s)")
    assert "$0.00/h -> $0.00/h" not in out


def test_rightsize_nodes_bound_is_never_above_its_plan(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("efa-hugepages.json", "two-lists.json"):
        code, out, _ = run(capsys, "rightsize-nodes", "--cluster", str(KUBE / name), "--format", "json")
        plan = json.loads(out)
        assert code == 0 and plan["lower_bound_cost_per_hour"] <= plan["cost_after_per_hour"] + 1e-6
        assert plan["lower_bound_assumptions"]


BAD = [
    ('"cpu": "250m"', '"cpu": "1e30"', "resources.requests.cpu: '1e30' is larger than Kubernetes allows"),
    ('"memory": "512Mi"', '"memory": "8Ei"', "resources.requests.memory: '8Ei' is larger than Kubernetes allows"),
    ('"memory": "512Mi"', '"memory": NaN', "resources.requests.memory: nan is not a finite number"),
    ('"memory": "512Mi"', '"memory": -Infinity', "resources.requests.memory: -inf is not a finite number"),
    ('"cpu": "250m"', '"cpu": "-1"', "resources.requests.cpu: '-1' is negative"),
    ('"cpu": "250m"', '"cpu": "250m", "vpc.amazonaws.com/efa": "0.5"', "efa: '0.5' is not a whole number"),
    ('"priority": 0', '"priority": "high"', "spec.priority: 'high' is not an integer"),
]


@pytest.mark.parametrize(("find", "put", "message"), BAD)
def test_bad_quantities_name_the_object_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, find: str, put: str, message: str
) -> None:
    text = (KUBE / "two-lists.json").read_text()
    start = text.index('"name": "web-6b8f9d7c5-2xq8z"')  # change the first web pod only
    at = text.index(find, start - 3000) if find != '"priority": 0' else text.index(find, start)
    path = tmp_path / "cluster.json"
    path.write_text(text[:at] + put + text[at + len(find) :])
    code, out, err = run(capsys, "consolidate", "--cluster", str(path))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert str(path) in err and "Pod shop/web-6b8f9d7c5-2xq8z" in err and message in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("kind: List\nitems: [\n", "neither JSON nor YAML"),
        ("- just\n- words\n", "items[0]: expected an object, got str"),
        ("just words\n", "neither JSON nor YAML Kubernetes objects"),
        ('{"kind": "NodeList"}', "without an 'items' array"),
        ('{"kind": "List", "items": [1]}', "items[0]: expected an object"),
    ],
)
def test_unreadable_documents_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text(content)
    code, _, err = run(capsys, "consolidate", "--cluster", str(path))
    assert code == 2 and message in err and str(path) in err and len(err.strip().splitlines()) == 1


def test_replicas_sharing_nodes_under_max_unavailable_1_are_drained_in_rounds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Five m5.xlarge, two replicas of web or api per node, each under a maxUnavailable-1 budget. Before issue 11
    every node was kept ("allows 1 disruption(s), draining this node needs 2") and the plan saved $0.00/h."""
    plan = plan_of(capsys, KUBE / "shared-replicas.json")
    actions = plan["actions"]
    assert isinstance(actions, list) and len(actions) == 4
    assert all(a["eviction_rounds"] == 2 and len(a["moves"]) == 2 for a in actions)
    assert plan["savings_per_hour"] == pytest.approx(4 * 0.214, abs=1e-4)
    assert not any("PodDisruptionBudget" in b["reason"] for b in plan["blocked"])  # type: ignore[attr-defined]


def test_efa_pods_go_only_where_efa_is_offered_and_hugepages_keep_their_node(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = plan_of(capsys, KUBE / "efa-hugepages.json")
    catalog = load_day_zero().catalog
    actions = plan["actions"]
    assert isinstance(actions, list)
    for action in actions:
        trainers = [m for m in action["moves"] if m["pod"].startswith("ml/trainer")]
        assert all(not m["to"].startswith("ip-10-1-3-") for m in trainers)  # the m6i node has no EFA
        if trainers:
            for launched in action["replacements"]:
                instance = catalog.get(launched["instance_type"])
                assert instance is not None and (instance.efa_interfaces or 0) >= 1
    assert any(m["pod"].startswith("ml/trainer") for a in actions for m in a["moves"])  # they do move, within the rule
    blocked = {b["node"]: b["reason"] for b in plan["blocked"]}  # type: ignore[attr-defined]
    hugepages = blocked["ip-10-1-4-10.eu-west-1.compute.internal"]
    assert "requests 536870912 hugepages-2Mi" in hugepages and "catalogue cannot say" in hugepages


def _paths(value: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        found += [p for k, v in value.items() for p in _paths(v, (*prefix, k))]
    elif isinstance(value, list):
        found += [p for i, v in enumerate(value) for p in _paths(v, (*prefix, i))]
    return found


SHARED = json.loads((KUBE / "shared-replicas.json").read_text())
ODD_VALUES: list[object] = [None, 1, -1, 1.5, "x", "", [], {}, [1], {"a": 1}, True, "1e30", "-5", {"cpu": []}]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(_paths(SHARED)), st.sampled_from(ODD_VALUES)), min_size=1, max_size=3))
def test_any_odd_value_anywhere_is_a_plan_or_one_line_never_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, changes: list[tuple[tuple[Any, ...], object]]
) -> None:
    document = json.loads(json.dumps(SHARED))
    for path, value in changes:
        with contextlib.suppress(LookupError, TypeError):  # an earlier change may have removed the path
            target: Any = document
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = json.loads(json.dumps(value))  # a copy: a later change may write into it
    file = tmp_path / "cluster.json"
    file.write_text(json.dumps(document))
    code = main(["consolidate", "--cluster", str(file), "--format", "json"])  # an exception fails the test
    out, err = capsys.readouterr()
    if code == 0:
        assert err == "" and json.loads(out)["actions"] is not None
    else:
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_objects_exported_twice_are_read_once_and_conflicting_twins_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (KUBE / "two-lists.json").read_text()
    twice = tmp_path / "twice.json"  # `kubectl get nodes,pods -A -o json; kubectl get pods -A -o json`
    twice.write_text(text + text)
    assert plan_of(capsys, twice)["input"]["kinds"] == {"Node": 3, "Pod": 6}  # type: ignore[index]
    conflicting = tmp_path / "conflicting.json"
    conflicting.write_text(text + text.replace('"cpu": "250m"', '"cpu": "300m"', 1))
    code, _, err = run(capsys, "consolidate", "--cluster", str(conflicting))
    assert code == 2 and "two different Pod objects named" in err and len(err.strip().splitlines()) == 1
