"""matchFields in node affinity: a pod pinned by name stays put; a DaemonSet pin does not hide its overhead."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.kube.cluster import parse_cluster
from cloudoptim.adapters.node_prices import price_book
from cloudoptim.errors import InputFileError
from engines.consolidation.daemons import DaemonSets

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "cluster-small.json"


def _pin(item: dict[str, Any], field: str = "metadata.name") -> None:
    term = {"matchFields": [{"key": field, "operator": "In", "values": [item["spec"]["nodeName"]]}]}
    item["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [term]}}}  # fmt: skip


def _cluster() -> dict[str, Any]:
    return copy.deepcopy(json.loads(FIXTURE.read_text()))


def _is_daemon(item: dict[str, Any]) -> bool:
    return any(o.get("kind") == "DaemonSet" for o in item["metadata"].get("ownerReferences", []))


def test_a_pod_pinned_by_name_fits_only_its_node() -> None:
    doc = _cluster()
    item = next(i for i in doc["items"] if i["kind"] == "Pod" and not _is_daemon(i) and i["spec"].get("nodeName"))
    _pin(item)
    state = parse_cluster(doc, price_book(load_day_zero(), "eu-west-1"))
    pod = next(p for p in state.pods if p.name == item["metadata"]["name"])
    home = next(n for n in state.nodes if n.name == pod.node)
    others = [n for n in state.nodes if n.name != pod.node and pod.static_fit(n) is not None]
    assert pod.static_fit(home) is None
    assert len(others) == len(state.nodes) - 1  # every other node refuses it


def test_daemonset_pins_do_not_hide_their_overhead_on_new_nodes() -> None:
    plain = parse_cluster(_cluster(), book := price_book(load_day_zero(), "eu-west-1"))
    doc = _cluster()
    for item in doc["items"]:
        if item["kind"] == "Pod" and _is_daemon(item):
            _pin(item)
    pinned = parse_cluster(doc, book)
    node = plain.nodes[0]
    assert DaemonSets.of(pinned).overhead(node) == DaemonSets.of(plain).overhead(node)


def test_unsupported_match_field_is_refused_by_name() -> None:
    doc = _cluster()
    item = next(i for i in doc["items"] if i["kind"] == "Pod" and i["spec"].get("nodeName"))
    _pin(item, field="spec.unschedulable")
    with pytest.raises(InputFileError, match=r"unsupported field 'spec\.unschedulable'"):
        parse_cluster(doc, price_book(load_day_zero(), "eu-west-1"))
