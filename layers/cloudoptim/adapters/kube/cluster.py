"""Read `kubectl get nodes,pods,pdb -A -o json` (or YAML, typed lists, several documents) into a ClusterState.

The file decides the region (its nodes' labels), the price book follows, and each node is priced from it. A file
with nodes and no pods is refused unless the caller says the nodes really are empty: read as a cluster, such a
file says every node is empty, and a plan would delete them all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cloudoptim.adapters.day_zero import DayZeroData
from cloudoptim.adapters.kube.documents import KubeObjects, objects_of, read_objects
from cloudoptim.adapters.kube.location import RESERVED, cluster_region, cluster_zone_ids, node_place
from cloudoptim.adapters.kube.objects import (
    as_dict,
    as_list,
    label_selector,
    node_selector_terms,
    pod_requests,
    resources,
    str_map,
    taints,
    text,
    tolerations,
)
from cloudoptim.adapters.node_prices import for_cluster_zones, price_book
from cloudoptim.errors import InputFileError
from engines.cluster.budget import BudgetCount, count
from engines.cluster.capacity import PriceBook
from engines.cluster.model import (
    AffinityTerm,
    AntiAffinityTerm,
    ClusterState,
    Node,
    Pdb,
    Pod,
    SpreadConstraint,
)
from engines.cluster.resources import BASE
from engines.cluster.selectors import NODE_NAME_FIELD, NodeSelectorTerm

EXPORT = "kubectl get nodes,pods,pdb -A -o json"
# Totals per resource stay below this so the planner's int64 arithmetic can never overflow.
_COUNTABLE = 2**62


@dataclass(frozen=True)
class LoadedCluster:
    state: ClusterState
    prices: PriceBook
    objects: KubeObjects


def load_cluster(
    path: str | Path, data: DayZeroData, region: str | None = None, nodes_are_empty: bool = False
) -> LoadedCluster:
    """Read, check, locate and price a cluster file; any problem raises one error naming the file and object."""
    return loaded(read_objects(Path(path)), data, region, nodes_are_empty, str(path))


def loaded(
    objects: KubeObjects, data: DayZeroData, region: str | None, nodes_are_empty: bool, source: str
) -> LoadedCluster:
    """Check, locate and price objects already read (a file, or a snapshot the sweep took)."""
    try:
        unpriced = parse_objects(objects)
    except InputFileError as exc:
        raise InputFileError(f"{source}: {exc}") from exc
    require_pods(objects, nodes_are_empty)
    if region is not None:
        price_book(data, region)  # an unknown --region is refused before the nodes are compared with it
    book = price_book(data, cluster_region(objects, region))
    book = for_cluster_zones(book, cluster_zone_ids(objects))
    return LoadedCluster(priced(unpriced, book), book, objects)


def require_pods(objects: KubeObjects, nodes_are_empty: bool) -> None:
    """Refuse what a plan cannot be safe on: no nodes, or nodes without any pod (unless declared empty)."""
    nodes, pods = objects.count("Node"), objects.count("Pod")
    if not nodes:
        found = objects.describe()
        raise InputFileError(f"{objects.source}: has no Node objects (found {found}); export with {EXPORT}")
    if not pods and not nodes_are_empty:
        raise InputFileError(
            f"{objects.source}: {nodes} Node(s) and no Pod (found {objects.describe()}): export nodes and pods "
            f"together ({EXPORT}), or pass --nodes-are-empty if these nodes really run no pods"
        )


def parse_cluster(document: Any, prices: PriceBook) -> ClusterState:
    """A priced cluster from a parsed document (a List dict) or from objects already read."""
    objects = document if isinstance(document, KubeObjects) else objects_of([document], "the document")
    return priced(parse_objects(objects), prices)


def priced(state: ClusterState, prices: PriceBook) -> ClusterState:
    """Each node priced for its type, zone and capacity type (None when unknown or reserved capacity)."""
    nodes = tuple(
        replace(n, price_per_hour=prices.price(n.instance_type, n.zone, n.capacity_type))
        if n.instance_type and n.capacity_type != RESERVED
        else n
        for n in state.nodes
    )
    return replace(state, region=prices.region, nodes=nodes)


def parse_objects(objects: KubeObjects) -> ClusterState:
    """Nodes (unpriced), pods and budgets; the region is left empty until `priced` sets it."""
    nodes: list[Node] = []
    pods: list[Pod] = []
    healthy: set[str] = set()  # keys of the pods a budget counts as healthy
    raw_pdbs: list[dict[str, Any]] = []
    for item in objects.objects:
        if item.kind == "Node":
            nodes.append(_node(item.body, f"Node {_name(item.body, item.where)}"))
        elif item.kind == "Pod":
            what = f"Pod {_name(item.body, item.where)}"
            pods.append(_pod(item.body, what))
            if _healthy(item.body, what):
                healthy.add(pods[-1].key)
        elif item.kind == "PodDisruptionBudget":
            raw_pdbs.append(item.body)
    if not nodes:
        raise InputFileError(f"has no Node objects (found {objects.describe()}); export with {EXPORT}")
    _check_totals(nodes, pods)
    pdbs = [_pdb(item, pods, healthy, f"PodDisruptionBudget {_name(item, 'a budget')}") for item in raw_pdbs]
    return ClusterState("", tuple(nodes), tuple(pods), tuple(pdbs))


def whole(value: Any, what: str, minimum: int | None = None) -> int:
    """An integer field of an object; anything else is one clear error naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputFileError(f"{what}: {value!r} is not an integer")
    if minimum is not None and value < minimum:
        raise InputFileError(f"{what}: {value} is below {minimum}")
    return value


def _check_totals(nodes: list[Node], pods: list[Pod]) -> None:
    """Each quantity is within Kubernetes' limit; their sums must also stay countable (no int64 overflow)."""
    for what, amounts in (("Node", [n.allocatable for n in nodes]), ("Pod", [p.requests for p in pods])):
        names = set(BASE) | {n for a in amounts for n in a.extended_names}
        for name in names:
            if sum(a.get(name) for a in amounts) >= _COUNTABLE:
                raise InputFileError(f"the {what} objects' {name} adds up beyond what can be counted (2^62)")


def _name(item: dict[str, Any], where: str) -> str:
    meta = as_dict(item.get("metadata"), f"{where}: metadata")
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name", where))


def _node(item: dict[str, Any], what: str) -> Node:
    meta = as_dict(item.get("metadata"), f"{what}: metadata")
    spec = as_dict(item.get("spec"), f"{what}: spec")
    status = as_dict(item.get("status"), f"{what}: status")
    labels = str_map(meta.get("labels"), f"{what}: metadata.labels")
    if "allocatable" not in status:
        raise InputFileError(f"{what}: status.allocatable is missing")
    place = node_place(labels, what)
    return Node(
        name=str(text(meta.get("name"), f"{what}: metadata.name")),
        instance_type=place.instance_type,
        zone=place.zone,
        capacity_type=place.capacity_type,
        allocatable=resources(status["allocatable"], f"{what}: status.allocatable", pods=110),
        price_per_hour=None,
        labels=labels,
        taints=taints(spec.get("taints"), f"{what}: spec.taints"),
        annotations=str_map(meta.get("annotations"), f"{what}: metadata.annotations"),
        unschedulable=bool(spec.get("unschedulable", False)),
    )


def _without_name_pins(terms: tuple[NodeSelectorTerm, ...], daemon: bool) -> tuple[NodeSelectorTerm, ...]:
    """The DaemonSet controller pins each of its pods to one node by name; the DaemonSet itself runs on every node
    its other rules allow, which is what a new node's overhead must count. Other pods keep their name pins."""
    if not daemon:
        return terms
    return tuple(NodeSelectorTerm(tuple(r for r in t.expressions if r.key != NODE_NAME_FIELD)) for t in terms)


def _pod(item: dict[str, Any], what: str) -> Pod:
    meta = as_dict(item.get("metadata"), f"{what}: metadata")
    spec = as_dict(item.get("spec"), f"{what}: spec")
    affinity = as_dict(spec.get("affinity"), f"{what}: affinity")
    node_affinity = as_dict(affinity.get("nodeAffinity"), f"{what}: nodeAffinity")
    owners = [as_dict(o, f"{what}: ownerReferences") for o in as_list(meta.get("ownerReferences"), what)]
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    volumes = [as_dict(v, f"{what}: volumes") for v in as_list(spec.get("volumes"), f"{what}: volumes")]
    namespace = str(text(meta.get("namespace") or "default", f"{what}: metadata.namespace"))
    return Pod(
        namespace=namespace,
        name=str(text(meta.get("name"), f"{what}: metadata.name")),
        node=text(spec.get("nodeName"), f"{what}: spec.nodeName", required=False),
        requests=pod_requests(spec, what),
        labels=str_map(meta.get("labels"), f"{what}: labels"),
        annotations=str_map(meta.get("annotations"), f"{what}: annotations"),
        owner_kind=str(owner.get("kind")) if owner else None,
        owner_name=str(owner.get("name")) if owner else None,
        node_selector=str_map(spec.get("nodeSelector"), f"{what}: nodeSelector"),
        node_affinity=_without_name_pins(
            node_selector_terms(
                node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution"), f"{what}: nodeAffinity"
            ),
            daemon=owner is not None and owner.get("kind") == "DaemonSet",
        ),
        tolerations=tolerations(spec.get("tolerations"), f"{what}: tolerations"),
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
        phase=str(as_dict(item.get("status"), f"{what}: status").get("phase", "Running")),
        priority=whole(spec.get("priority") or 0, f"{what}: spec.priority"),
    )


def _required_terms(block: Any, what: str) -> list[Any]:
    return as_list(as_dict(block, what).get("requiredDuringSchedulingIgnoredDuringExecution"), what)


def _pod_term(term: Any, namespace: str, what: str) -> tuple[Any, str, frozenset[str]]:
    term = as_dict(term, f"{what}: podAffinityTerm")
    if "topologyKey" not in term:
        raise InputFileError(f"{what}: a pod (anti-)affinity term needs a topologyKey")
    namespaces = frozenset(str(n) for n in as_list(term.get("namespaces"), what)) or frozenset({namespace})
    return label_selector(term.get("labelSelector"), f"{what}: labelSelector"), str(term["topologyKey"]), namespaces


def _spread(block: Any, what: str) -> SpreadConstraint:
    block = as_dict(block, f"{what}: topologySpreadConstraints")
    if "topologyKey" not in block or "maxSkew" not in block:
        raise InputFileError(f"{what}: a topology spread constraint needs maxSkew and topologyKey")
    return SpreadConstraint(
        max_skew=whole(block["maxSkew"], f"{what}: topologySpreadConstraints.maxSkew", minimum=1),
        topology_key=str(block["topologyKey"]),
        selector=label_selector(block.get("labelSelector"), f"{what}: labelSelector"),
        hard=block.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule",
    )


def _healthy(item: dict[str, Any], what: str) -> bool:
    """Healthy as the disruption controller counts it: Running, Ready, and not being deleted."""
    meta, status = as_dict(item.get("metadata"), f"{what}: metadata"), as_dict(item.get("status"), f"{what}: status")
    conditions = [as_dict(c, f"{what}: conditions") for c in as_list(status.get("conditions"), f"{what}: conditions")]
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return status.get("phase", "Running") == "Running" and ready and not meta.get("deletionTimestamp")


def _pdb(item: dict[str, Any], pods: list[Pod], healthy: set[str], what: str) -> Pdb:
    meta = as_dict(item.get("metadata"), f"{what}: metadata")
    spec = as_dict(item.get("spec"), f"{what}: spec")
    status = as_dict(item.get("status"), f"{what}: status")
    namespace = str(meta.get("namespace") or "default")
    selector = label_selector(spec.get("selector"), f"{what}: selector")
    if "disruptionsAllowed" in status:  # the controller's own answer is authoritative
        allowed = whole(status["disruptionsAllowed"], f"{what}: status.disruptionsAllowed")
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
