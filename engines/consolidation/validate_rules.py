"""The rules a moved pod must meet where it lands, written from Kubernetes' own definitions for the validator.

Nothing here is shared with the planner's search (placement.py, topology.py): a bug there cannot hide behind the
same code here. Each check answers in words, or None when the pod may land:
- static: nodeSelector, required node affinity, NoSchedule/NoExecute taints it does not tolerate, a cordoned node,
  the zone of its persistent volume;
- pod-to-pod, against the cluster as it is when the pod is scheduled: required anti-affinity both ways (another
  pod's term that selects this pod keeps it out too), required affinity (a matching pod in the same domain, unless
  none matches anywhere and the pod matches its own term), hard topology spread as kube-scheduler's
  PodTopologySpread filter computes it (matching pods in the target domain + the pod itself if it matches, minus
  the fewest in any domain its node affinity allows, at most maxSkew).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from engines.cluster.model import Node, Pod
from engines.cluster.selectors import LabelSelector, node_terms_match

Signature = tuple[LabelSelector, frozenset[str], str]  # selector, namespaces, topology key


def static_problem(pod: Pod, node: Node, home_zone: str | None) -> str | None:
    """Why the pod may not be scheduled on `node` whatever else runs there."""
    if node.unschedulable:
        return "node is cordoned"
    for key, value in pod.node_selector.items():
        if node.labels.get(key) != value:
            return f"nodeSelector {key}={value}"
    if pod.node_affinity and not node_terms_match(pod.node_affinity, node.labels, node.name):
        return "required node affinity"
    for taint in node.taints:
        if taint.effect in ("NoSchedule", "NoExecute") and not any(t.tolerates(taint) for t in pod.tolerations):
            return f"taint {taint.key}:{taint.effect} it does not tolerate"
    if home_zone is not None and node.zone != home_zone:
        return f"its persistent volume is in {home_zone}, the node in {node.zone}"
    return None


def _selects(signature: Signature, pod: Pod) -> bool:
    selector, namespaces, _ = signature
    return pod.namespace in namespaces and selector.matches(pod.labels)


@dataclass
class World:
    """Where every non-DaemonSet pod runs and which nodes are live, with per-domain counts kept as pods move."""

    nodes: dict[str, Node]
    pods: dict[str, Pod]
    where: dict[str, str]
    _members: dict[Signature, Counter[str]] = field(default_factory=dict)  # matching pods per domain
    _owners: dict[Signature, Counter[str]] = field(default_factory=dict)  # pods carrying an anti term, per domain
    _eligible: dict[tuple[object, ...], list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, name in self.where.items():
            for signature in _anti_signatures(self.pods[key]):
                self._count(self._owners.setdefault(signature, Counter()), name, signature[2], 1)

    def _domain(self, node_name: str, key: str) -> str | None:
        node = self.nodes.get(node_name)
        return None if node is None else node.topology_value(key)

    def _count(self, counts: Counter[str], node_name: str, key: str, sign: int) -> None:
        domain = self._domain(node_name, key)
        if domain is not None:
            counts[domain] += sign

    def members(self, signature: Signature) -> Counter[str]:
        if signature not in self._members:
            counts: Counter[str] = Counter()
            for key, name in self.where.items():
                if _selects(signature, self.pods[key]):
                    self._count(counts, name, signature[2], 1)
            self._members[signature] = counts
        return self._members[signature]

    def move(self, key: str, node_name: str | None) -> None:
        """Take the pod off its node (it must still be live) and, unless `node_name` is None, put it there."""
        pod, old = self.pods[key], self.where.pop(key, None)
        for name, sign in ((old, -1), (node_name, 1)):
            if name is None:
                continue
            for signature, counts in self._members.items():
                if _selects(signature, pod):
                    self._count(counts, name, signature[2], sign)
            for signature in _anti_signatures(pod):
                self._count(self._owners[signature], name, signature[2], sign)
        if node_name is not None:
            self.where[key] = node_name

    def remove_node(self, name: str) -> None:
        """The node is gone; its pods must already have been moved off (the caller checks)."""
        self.nodes.pop(name, None)
        self._eligible.clear()

    def add_node(self, node: Node) -> None:
        self.nodes[node.name] = node
        self._eligible.clear()

    def pod_problem(self, pod: Pod, node: Node) -> str | None:
        """Why `pod` (currently on no node) may not be scheduled on `node` given the pods around it."""
        for term in pod.anti_affinity:
            domain = node.topology_value(term.topology_key)
            if domain is not None and self.members((term.selector, term.namespaces, term.topology_key))[domain] > 0:
                return f"required anti-affinity: a matching pod runs in {term.topology_key}={domain}"
        for signature, owners in self._owners.items():
            domain = node.topology_value(signature[2])
            if domain is not None and owners[domain] > 0 and _selects(signature, pod):
                return f"another pod's required anti-affinity covers {signature[2]}={domain}"
        for affinity in pod.affinity:
            signature = (affinity.selector, affinity.namespaces, affinity.topology_key)
            counts, domain = self.members(signature), node.topology_value(affinity.topology_key)
            if domain is not None and counts[domain] > 0:
                continue
            if any(c > 0 for c in counts.values()) or not _selects(signature, pod):
                return f"required affinity: no matching pod in {affinity.topology_key}={domain}"
        return self._spread_problem(pod, node)

    def _spread_problem(self, pod: Pod, node: Node) -> str | None:
        for spread in pod.spread:
            if not spread.hard:
                continue
            signature = (spread.selector, frozenset({pod.namespace}), spread.topology_key)
            domain = node.topology_value(spread.topology_key)
            if domain is None:
                return f"topology spread: the node has no {spread.topology_key} label"
            counts = self.members(signature)
            eligible = self._eligible_domains(pod, spread.topology_key)
            lowest = min((counts[d] for d in eligible), default=0)
            skew = counts[domain] + (1 if _selects(signature, pod) else 0) - lowest
            if skew > spread.max_skew:
                return f"topology spread on {spread.topology_key}: skew {skew} > maxSkew {spread.max_skew}"
        return None

    def _eligible_domains(self, pod: Pod, key: str) -> list[str]:
        """Domains of live nodes the pod's nodeSelector and node affinity allow (nodeAffinityPolicy Honor)."""
        cache = (tuple(sorted(pod.node_selector.items())), pod.node_affinity, key)
        if cache not in self._eligible:
            found = set()
            for node in self.nodes.values():
                selected = all(node.labels.get(k) == v for k, v in pod.node_selector.items())
                allowed = not pod.node_affinity or node_terms_match(pod.node_affinity, node.labels, node.name)
                domain = node.topology_value(key)
                if selected and allowed and domain is not None:
                    found.add(domain)
            self._eligible[cache] = sorted(found)
        return self._eligible[cache]


def _anti_signatures(pod: Pod) -> Iterable[Signature]:
    return ((t.selector, t.namespaces, t.topology_key) for t in pod.anti_affinity)
