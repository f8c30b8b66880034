"""Shared readers for Kubernetes object fragments: selectors, tolerations, container requests."""

from __future__ import annotations

from typing import Any

from cloudoptim.adapters.kube.quantity import count, cpu_millicores, memory_bytes
from cloudoptim.errors import InputFileError
from engines.cluster.model import Resources
from engines.cluster.selectors import NODE_NAME_FIELD, LabelSelector, NodeSelectorTerm, Requirement, Taint, Toleration

GPU_RESOURCE = "nvidia.com/gpu"
# Resources measured in bytes (fractions round up); every other one is a count and must be whole.
_BYTE_RESOURCES = ("memory", "ephemeral-storage", "storage")


def as_dict(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputFileError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputFileError(f"{what}: expected a list, got {type(value).__name__}")
    return value


def str_map(value: Any, what: str) -> dict[str, str]:
    """Labels, annotations, selectors: strings (YAML's unquoted numbers and booleans read as their text)."""
    found = {}
    for key, item in as_dict(value, what).items():
        if isinstance(item, dict | list):
            raise InputFileError(f"{what}.{key}: expected a string, got {type(item).__name__}")
        found[str(key)] = str(item).lower() if isinstance(item, bool) else str(item)
    return found


def text(value: Any, what: str, required: bool = True) -> str | None:
    """A name field: a non-empty string (None allowed when not `required`)."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InputFileError(f"{what}: expected a name (a non-empty string), got {value!r}")
    return value


def resources(block: Any, what: str, pods: int = 0) -> Resources:
    """A `requests`/`allocatable` map as Resources, every resource it names (absent ones count 0).

    `what` names the object and the map ("Pod shop/web: spec.containers[0].resources.requests"), so an error
    names the field: "...requests.vpc.amazonaws.com/efa: '1.5' is not a whole number".
    """
    return Resources.named({"pods": pods} | _quantities(block, what))


def _quantities(block: Any, what: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for name, raw in as_dict(block, what).items():
        field = f"{what}.{name}"
        if name == "cpu":
            values[name] = cpu_millicores(raw, field)
        elif name in _BYTE_RESOURCES or name.startswith("hugepages-"):
            values[name] = memory_bytes(raw, field)
        else:
            values[name] = count(raw, field)
    return values


def pod_requests(spec: dict[str, Any], what: str) -> Resources:
    """Effective requests as kube-scheduler computes them, over every resource.

    App containers and native sidecars (init containers with restartPolicy Always) run together; a classic
    init container runs alone before them, so the pod needs the larger of the two, plus the pod overhead.
    """
    running = Resources(pods=1)
    largest_init = Resources()
    for index, container in enumerate(as_list(spec.get("initContainers"), f"{what}: spec.initContainers")):
        where = f"{what}: spec.initContainers[{index}]"
        container = as_dict(container, where)
        requests = _container_requests(container, where)
        if container.get("restartPolicy") == "Always":
            running = running + requests
        else:
            largest_init = largest_init.maximum(requests)
    for index, container in enumerate(as_list(spec.get("containers"), f"{what}: spec.containers")):
        where = f"{what}: spec.containers[{index}]"
        running = running + _container_requests(as_dict(container, where), where)
    effective = running.maximum(largest_init + Resources(pods=1))
    return effective + resources(spec.get("overhead"), f"{what}: spec.overhead")


def _container_requests(container: dict[str, Any], where: str) -> Resources:
    block = as_dict(container.get("resources"), f"{where}.resources")
    limits = _quantities(block.get("limits"), f"{where}.resources.limits")
    requests = _quantities(block.get("requests"), f"{where}.resources.requests")
    # Kubernetes defaults each unset request to its limit (extended resources must set both, alike).
    return Resources.named(limits | requests)


def label_selector(value: Any, what: str) -> LabelSelector:
    block = as_dict(value, what)
    labels = tuple(sorted(str_map(block.get("matchLabels"), f"{what}.matchLabels").items()))
    return LabelSelector(labels, requirements(block.get("matchExpressions"), f"{what}.matchExpressions"))


def requirements(value: Any, what: str) -> tuple[Requirement, ...]:
    found: list[Requirement] = []
    for index, item in enumerate(as_list(value, what)):
        item = as_dict(item, f"{what}[{index}]")
        key, operator = _field(item, "key", f"{what}[{index}]"), _field(item, "operator", f"{what}[{index}]")
        if key is None or operator is None:
            raise InputFileError(f"{what}[{index}]: needs key and operator")
        raw = as_list(item.get("values"), f"{what}[{index}].values")
        values = tuple(str(_field({"value": v}, "value", f"{what}[{index}].values")) for v in raw)
        found.append(Requirement(key, operator, values))
    return tuple(found)


def node_selector_terms(value: Any, what: str) -> tuple[NodeSelectorTerm, ...]:
    terms = as_list(as_dict(value, what).get("nodeSelectorTerms"), f"{what}.nodeSelectorTerms")
    found = []
    for term in terms:
        term = as_dict(term, what)
        expressions = requirements(term.get("matchExpressions"), f"{what}.matchExpressions")
        # matchFields: the API supports only metadata.name; keyed apart so no label can satisfy it
        fields = requirements(term.get("matchFields"), f"{what}.matchFields")
        for field in fields:
            if field.key != "metadata.name":
                raise InputFileError(f"{what}.matchFields: unsupported field {field.key!r} (only metadata.name)")
        renamed = tuple(Requirement(NODE_NAME_FIELD, f.operator, f.values) for f in fields)
        found.append(NodeSelectorTerm(expressions + renamed))
    return tuple(found)


def _field(item: dict[str, Any], key: str, what: str) -> str | None:
    """An optional string field of a taint, toleration or requirement (a number written in YAML reads as text)."""
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise InputFileError(f"{what}.{key}: expected a string, got {type(value).__name__}")
    return str(value)


def taints(value: Any, what: str) -> tuple[Taint, ...]:
    found = []
    for index, item in enumerate(as_list(value, what)):
        where = f"{what}[{index}]"
        item = as_dict(item, where)
        found.append(
            Taint(_field(item, "key", where) or "", _field(item, "value", where), _field(item, "effect", where)
                  or "NoSchedule")
        )  # fmt: skip
    return tuple(found)


def tolerations(value: Any, what: str) -> tuple[Toleration, ...]:
    found = []
    for index, item in enumerate(as_list(value, what)):
        where = f"{what}[{index}]"
        item = as_dict(item, where)
        found.append(
            Toleration(
                key=_field(item, "key", where) or None,
                operator=_field(item, "operator", where) or "Equal",
                value=_field(item, "value", where),
                effect=_field(item, "effect", where) or None,
            )
        )
    return tuple(found)
