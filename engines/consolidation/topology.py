"""Pod-to-pod placement rules (required anti-affinity, affinity, hard topology spread), tracked incrementally.

Each distinct rule is registered once with the pods it matches, and per topology domain (a node, a zone) the
tracker keeps how many matching pods are there. Checking a move is then a few dictionary reads instead of a
scan of every pod, which keeps a 10,000-pod plan fast.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from engines.cluster.model import HOSTNAME_KEY, Pod
from engines.cluster.selectors import LabelIndex, LabelSelector

Domain = Callable[[int, str], str | None]  # (node index, topology key) -> domain value

_ANTI, _AFFINITY, _SPREAD = "anti", "affinity", "spread"


class _Rule:
    __slots__ = ("key", "kind", "max_skew", "members", "namespaces", "owners", "selector")

    def __init__(self, kind: str, selector: LabelSelector, namespaces: frozenset[str], key: str, max_skew: int):
        self.kind, self.selector, self.namespaces, self.key, self.max_skew = kind, selector, namespaces, key, max_skew
        self.members: Counter[str] = Counter()  # domain -> matching pods placed there
        self.owners: Counter[str] = Counter()  # domain -> pods carrying this rule placed there


class Topology:
    """Counts of matching pods per domain, for every rule some pod carries."""

    def __init__(self, pods: Iterable[Pod], domain: Domain):
        self._domain = domain
        self._rules: list[_Rule] = []
        self._index: dict[tuple[object, ...], int] = {}
        self.own: dict[str, list[int]] = defaultdict(list)  # pod key -> rules it carries
        self.member_of: dict[str, list[int]] = defaultdict(list)  # pod key -> rules that select it
        active = [p for p in pods if p.is_active and not p.is_daemon]
        for pod in active:
            for term in pod.anti_affinity:
                self.own[pod.key].append(self._rule(_ANTI, term.selector, term.namespaces, term.topology_key, 0))
            for aff in pod.affinity:
                self.own[pod.key].append(self._rule(_AFFINITY, aff.selector, aff.namespaces, aff.topology_key, 0))
            for spread in pod.spread:
                if spread.hard:
                    names = frozenset({pod.namespace})
                    rule = self._rule(_SPREAD, spread.selector, names, spread.topology_key, spread.max_skew)
                    self.own[pod.key].append(rule)
        self._match_members(active)

    @property
    def empty(self) -> bool:
        return not self._rules

    def _rule(self, kind: str, selector: LabelSelector, namespaces: frozenset[str], key: str, skew: int) -> int:
        signature = (kind, selector, namespaces, key, skew)
        if signature not in self._index:
            self._index[signature] = len(self._rules)
            self._rules.append(_Rule(kind, selector, namespaces, key, skew))
        return self._index[signature]

    def _match_members(self, pods: list[Pod]) -> None:
        index = LabelIndex([(p.namespace, p.labels) for p in pods])
        for rule_id, rule in enumerate(self._rules):
            for found in index.select(rule.namespaces, rule.selector):
                self.member_of[pods[found].key].append(rule_id)

    def add(self, pod: Pod, node: int, sign: int = 1) -> None:
        """Count `pod` in the domains of `node` (sign -1 removes it)."""
        for rule_id in self.member_of.get(pod.key, ()):
            rule = self._rules[rule_id]
            value = self._domain(node, rule.key)
            if value is not None:
                rule.members[value] += sign
        for rule_id in self.own.get(pod.key, ()):
            rule = self._rules[rule_id]
            value = self._domain(node, rule.key)
            if value is not None:
                rule.owners[value] += sign

    def violation(self, pod: Pod, node: int, domain_count: Callable[[str], int]) -> str | None:
        """Why `pod` (not currently counted anywhere) may not run on `node`; None when it may."""
        for rule_id in self.own.get(pod.key, ()):
            rule = self._rules[rule_id]
            value = self._domain(node, rule.key)
            if value is None:
                continue
            if rule.kind == _ANTI and rule.members[value] > 0:
                return f"anti-affinity with pods on {rule.key}={value}"
            if rule.kind == _AFFINITY and rule.members[value] == 0 and not self._first_of_group(rule_id, pod.key):
                return f"affinity needs a matching pod on {rule.key}={value}"
            if rule.kind == _SPREAD and self._skew_broken(rule_id, value, domain_count(rule.key), pod.key):
                return f"topology spread on {rule.key} would exceed maxSkew {rule.max_skew}"
        for rule_id in self.member_of.get(pod.key, ()):
            rule = self._rules[rule_id]
            if rule.kind == _ANTI:  # required anti-affinity is symmetric: their rule keeps us out too
                value = self._domain(node, rule.key)
                if value is not None and rule.owners[value] > 0:
                    return f"another pod's anti-affinity on {rule.key}={value}"
        return None

    def _first_of_group(self, rule_id: int, pod_key: str) -> bool:
        """Kubernetes lets a pod whose affinity term matches itself start a group when no pod matches anywhere."""
        alone = not any(c > 0 for c in self._rules[rule_id].members.values())
        return alone and rule_id in self.member_of.get(pod_key, ())

    def _skew_broken(self, rule_id: int, target: str, domains: int, pod_key: str) -> bool:
        """kube-scheduler's PodTopologySpread filter: matching pods in the target domain, plus the pod itself if
        the selector matches it, minus the fewest in any domain (0 when a live domain has none), at most maxSkew.
        Kubernetes counts only the domains the pod's node affinity allows; counting every live domain can only
        lower the minimum, so this refuses whatever Kubernetes would refuse (and a little more)."""
        rule = self._rules[rule_id]
        counts = [c for c in rule.members.values() if c > 0]
        lowest = 0 if len(counts) < domains else min(counts)
        itself = 1 if rule_id in self.member_of.get(pod_key, ()) else 0
        return rule.members.get(target, 0) + itself - lowest > rule.max_skew


def is_hostname(key: str) -> bool:
    return key == HOSTNAME_KEY
