"""Read `kubectl get nodes,pods,pdb -A -o json` into a ClusterState, pricing each node from a PriceBook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudoptim.adapters.file_io import read_text
from cloudoptim.adapters.kube.objects import (
    as_dict,
    as_list,
    label_selector,
    node_selector_terms,
    pod_requests,
    resources,
    str_map,
    taints,
    tolerations,
)
from cloudoptim.errors import InputFileError
from engines.cluster.budget import BudgetCount, count
from engines.cluster.capacity import PriceBook
from engines.cluster.model import (
    ON_DEMAND,
    SPOT,
    AffinityTerm,
    AntiAffinityTerm,
    ClusterState,
    Node,
    Pdb,
    Pod,
    SpreadConstraint,
)
from engines.cluster.selectors import NODE_NAME_FIELD, NodeSelectorTerm

INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
CAPACITY_TYPE_LABELS = ("karpenter.sh/capacity-type", "eks.amazonaws.com/capacityType")
_CAPACITY_TYPES = {"spot": SPOT, "on-demand": ON_DEMAND, "on_demand": ON_DEMAND, "ondemand": ON_DEMAND}


def load_cluster(path: str | Path, prices: PriceBook) -> ClusterState:
    """Parse the file; any malformed object raises InputFileError naming the file and the object."""
    try:
        document = json.loads(read_text(Path(path)))
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    try:
        return parse_cluster(document, prices)
    except InputFileError as exc:
        raise InputFileError(f"{path}: {exc}") from exc


def parse_cluster(document: Any, prices: PriceBook) -> ClusterState:
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise InputFileError("expected a Kubernetes List with an 'items' array (kubectl get nodes,pods,pdb -A -o json)")
    nodes: list[Node] = []
    pods: list[Pod] = []
    healthy: set[str] = set()  # keys of the pods a budget counts as healthy
    raw_pdbs: list[dict[str, Any]] = []
    for index, item in enumerate(document["items"]):
        item = as_dict(item, f"items[{index}]")
        kind = item.get("kind")
        if kind == "Node":
            nodes.append(_node(item, prices, f"Node {_name(item, index)}"))
        elif kind == "Pod":
            what = f"Pod {_name(item, index)}"
            pods.append(_pod(item, what))
            if _healthy(item, what):
                healthy.add(pods[-1].key)
        elif kind == "PodDisruptionBudget":
            raw_pdbs.append(item)
    if not nodes:
        raise InputFileError("the List has no Node objects: include nodes (kubectl get nodes,pods,pdb -A -o json)")
    pdbs = [_pdb(item, pods, healthy, f"PodDisruptionBudget {_name(item, i)}") for i, item in enumerate(raw_pdbs)]
    return ClusterState(prices.region, tuple(nodes), tuple(pods), tuple(pdbs))


def _name(item: dict[str, Any], index: int) -> str:
    meta = as_dict(item.get("metadata"), f"items[{index}].metadata")
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name", f"items[{index}]"))


def _node(item: dict[str, Any], prices: PriceBook, what: str) -> Node:
    meta = as_dict(item.get("metadata"), f"{what}.metadata")
    spec = as_dict(item.get("spec"), f"{what}.spec")
    status = as_dict(item.get("status"), f"{what}.status")
    labels = str_map(meta.get("labels"), f"{what}.labels")
    if "allocatable" not in status:
        raise InputFileError(f"{what}: status.allocatable is missing")
    instance_type = next((labels[k] for k in INSTANCE_TYPE_LABELS if k in labels), "")
    zone = next((labels[k] for k in ZONE_LABELS if k in labels), "")
    raw_capacity = next((labels[k] for k in CAPACITY_TYPE_LABELS if k in labels), "on-demand").lower()
    capacity_type = _CAPACITY_TYPES.get(raw_capacity)
    if capacity_type is None:
        raise InputFileError(f"{what}: unknown capacity type {raw_capacity!r} (expected spot or on-demand)")
    price = prices.price(instance_type, zone, capacity_type) if instance_type else None
    return Node(
        name=str(meta.get("name")),
        instance_type=instance_type,
        zone=zone,
        capacity_type=capacity_type,
        allocatable=resources(status["allocatable"], f"{what}.status.allocatable", pods=110),
        price_per_hour=price,
        labels=labels,
        taints=taints(spec.get("taints"), f"{what}.spec.taints"),
        annotations=str_map(meta.get("annotations"), f"{what}.annotations"),
        unschedulable=bool(spec.get("unschedulable", False)),
    )


def _without_name_pins(terms: tuple[NodeSelectorTerm, ...], daemon: bool) -> tuple[NodeSelectorTerm, ...]:
    """The DaemonSet controller pins each of its pods to one node by name; the DaemonSet itself runs on every node
    its other rules allow, which is what a new node's overhead must count. Other pods keep their name pins."""
    if not daemon:
        return terms
    return tuple(NodeSelectorTerm(tuple(r for r in t.expressions if r.key != NODE_NAME_FIELD)) for t in terms)


def _pod(item: dict[str, Any], what: str) -> Pod:
    meta = as_dict(item.get("metadata"), f"{what}.metadata")
    spec = as_dict(item.get("spec"), f"{what}.spec")
    affinity = as_dict(spec.get("affinity"), f"{what}.affinity")
    node_affinity = as_dict(affinity.get("nodeAffinity"), f"{what}.nodeAffinity")
    owners = [as_dict(o, f"{what}.ownerReferences") for o in as_list(meta.get("ownerReferences"), what)]
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    volumes = [as_dict(v, f"{what}.volumes") for v in as_list(spec.get("volumes"), f"{what}.volumes")]
    namespace = str(meta.get("namespace") or "default")
    return Pod(
        namespace=namespace,
        name=str(meta.get("name")),
        node=spec.get("nodeName"),
        requests=pod_requests(spec, what),
        labels=str_map(meta.get("labels"), f"{what}.labels"),
        annotations=str_map(meta.get("annotations"), f"{what}.annotations"),
        owner_kind=str(owner.get("kind")) if owner else None,
        owner_name=str(owner.get("name")) if owner else None,
        node_selector=str_map(spec.get("nodeSelector"), f"{what}.nodeSelector"),
        node_affinity=_without_name_pins(
            node_selector_terms(
                node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution"), f"{what}.nodeAffinity"
            ),
            daemon=owner is not None and owner.get("kind") == "DaemonSet",
        ),
        tolerations=tolerations(spec.get("tolerations"), f"{what}.tolerations"),
        anti_affinity=tuple(
            AntiAffinityTerm(*_pod_term(t, namespace, what))
            for t in _required_terms(affinity.get("podAntiAffinity"), what)
        ),
        affinity=tuple(
            AffinityTerm(*_pod_term(t, namespace, what)) for t in _required_terms(affinity.get("podAffinity"), what)
        ),
        spread=tuple(_spread(c, what) for c in as_list(spec.get("topologySpreadConstraints"), what)),
        local_storage=any("emptyDir" in v or "hostPath" in v for v in volumes),
        persistent_volume=any("persistentVolumeClaim" in v or "ephemeral" in v for v in volumes),
        phase=str(as_dict(item.get("status"), f"{what}.status").get("phase", "Running")),
        priority=int(spec.get("priority") or 0),
    )


def _required_terms(block: Any, what: str) -> list[Any]:
    return as_list(as_dict(block, what).get("requiredDuringSchedulingIgnoredDuringExecution"), what)


def _pod_term(term: Any, namespace: str, what: str) -> tuple[Any, str, frozenset[str]]:
    term = as_dict(term, f"{what}.podAffinityTerm")
    if "topologyKey" not in term:
        raise InputFileError(f"{what}: a pod (anti-)affinity term needs a topologyKey")
    namespaces = frozenset(str(n) for n in as_list(term.get("namespaces"), what)) or frozenset({namespace})
    return label_selector(term.get("labelSelector"), f"{what}.labelSelector"), str(term["topologyKey"]), namespaces


def _spread(block: Any, what: str) -> SpreadConstraint:
    block = as_dict(block, f"{what}.topologySpreadConstraints")
    if "topologyKey" not in block or "maxSkew" not in block:
        raise InputFileError(f"{what}: a topology spread constraint needs maxSkew and topologyKey")
    return SpreadConstraint(
        max_skew=int(block["maxSkew"]),
        topology_key=str(block["topologyKey"]),
        selector=label_selector(block.get("labelSelector"), f"{what}.labelSelector"),
        hard=block.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule",
    )


def _healthy(item: dict[str, Any], what: str) -> bool:
    """Healthy as the disruption controller counts it: Running, Ready, and not being deleted."""
    meta, status = as_dict(item.get("metadata"), f"{what}.metadata"), as_dict(item.get("status"), f"{what}.status")
    conditions = [as_dict(c, f"{what}.conditions") for c in as_list(status.get("conditions"), f"{what}.conditions")]
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return status.get("phase", "Running") == "Running" and ready and not meta.get("deletionTimestamp")


def _pdb(item: dict[str, Any], pods: list[Pod], healthy: set[str], what: str) -> Pdb:
    meta = as_dict(item.get("metadata"), f"{what}.metadata")
    spec = as_dict(item.get("spec"), f"{what}.spec")
    status = as_dict(item.get("status"), f"{what}.status")
    namespace = str(meta.get("namespace") or "default")
    selector = label_selector(spec.get("selector"), f"{what}.selector")
    if "disruptionsAllowed" in status:  # the controller's own answer is authoritative
        allowed = int(status["disruptionsAllowed"])
    else:
        # The file holds no controller scale: the pods the budget selects are the ones it expects.
        matched = [p for p in pods if p.namespace == namespace and p.is_active and selector.matches(p.labels)]
        allowed = _count(spec, len(matched), sum(1 for p in matched if p.key in healthy), what).disruptions_allowed
    return Pdb(namespace, str(meta.get("name")), selector, max(allowed, 0))


def _count(spec: dict[str, Any], expected: int, healthy: int, what: str) -> BudgetCount:
    try:
        return count(
            _int_or_string(spec.get("minAvailable")), _int_or_string(spec.get("maxUnavailable")), expected, healthy
        )
    except ValueError as exc:
        raise InputFileError(f"{what}: {exc}") from exc


def _int_or_string(value: Any) -> int | str | None:
    return value if value is None or isinstance(value, int) else str(value)
