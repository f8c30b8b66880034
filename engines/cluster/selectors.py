"""Kubernetes label selectors, node selector terms, taints and tolerations, with the API's matching rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Requirement:
    """One matchExpressions entry: operator In, NotIn, Exists, DoesNotExist, Gt or Lt."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.key)
        if self.operator == "In":
            return value is not None and value in self.values
        if self.operator == "NotIn":
            return value is None or value not in self.values
        if self.operator == "Exists":
            return value is not None
        if self.operator == "DoesNotExist":
            return value is None
        if self.operator in ("Gt", "Lt") and value is not None and self.values:
            try:
                left, right = int(value), int(self.values[0])
            except ValueError:
                return False
            return left > right if self.operator == "Gt" else left < right
        return False


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """matchLabels AND matchExpressions. An empty selector matches everything (as in the API)."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            r.matches(labels) for r in self.match_expressions
        )


@dataclass(frozen=True, slots=True)
class NodeSelectorTerm:
    """One requiredDuringScheduling term: all its expressions must hold (terms are ORed)."""

    expressions: tuple[Requirement, ...]


NODE_NAME_FIELD = "@metadata.name"  # a matchFields requirement on the node's name (never a label key)


def node_terms_match(terms: tuple[NodeSelectorTerm, ...], labels: Mapping[str, str], name: str = "") -> bool:
    return any(
        all(r.matches({NODE_NAME_FIELD: name} if r.key == NODE_NAME_FIELD else labels) for r in term.expressions)
        for term in terms
    )


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str | None
    effect: str  # NoSchedule, PreferNoSchedule or NoExecute


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str | None
    operator: str  # Equal or Exists
    value: str | None
    effect: str | None  # None tolerates every effect

    def tolerates(self, taint: Taint) -> bool:
        if self.effect and self.effect != taint.effect:
            return False
        if self.key is None:  # an empty key with Exists tolerates everything
            return self.operator == "Exists"
        if self.key != taint.key:
            return False
        return self.operator == "Exists" or (self.value or "") == (taint.value or "")


class LabelIndex:
    """Objects by namespace and by label, so a selector finds its matches without testing every object.

    matchLabels narrow the candidates by set intersection; only those are tested against the expressions.
    """

    def __init__(self, items: list[tuple[str, Mapping[str, str]]]):
        self._labels = [labels for _, labels in items]
        self._by_namespace: dict[str, set[int]] = {}
        self._by_label: dict[tuple[str, str, str], set[int]] = {}
        for index, (namespace, labels) in enumerate(items):
            self._by_namespace.setdefault(namespace, set()).add(index)
            for key, value in labels.items():
                self._by_label.setdefault((namespace, key, value), set()).add(index)

    def select(self, namespaces: frozenset[str] | set[str], selector: LabelSelector) -> list[int]:
        found: list[int] = []
        for namespace in namespaces:
            candidates: set[int] | None = None
            for key, value in selector.match_labels:
                hits = self._by_label.get((namespace, key, value), set())
                candidates = hits if candidates is None else candidates & hits
                if not candidates:
                    break
            if candidates is None:
                candidates = self._by_namespace.get(namespace, set())
            found.extend(i for i in candidates if selector.matches(self._labels[i]))
        return sorted(found)
