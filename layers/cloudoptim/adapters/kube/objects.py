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
    return {str(k): str(v) for k, v in as_dict(value, what).items()}


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
        if "key" not in item or "operator" not in item:
            raise InputFileError(f"{what}[{index}]: needs key and operator")
        values = tuple(str(v) for v in as_list(item.get("values"), f"{what}[{index}].values"))
        found.append(Requirement(str(item["key"]), str(item["operator"]), values))
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


def taints(value: Any, what: str) -> tuple[Taint, ...]:
    found = []
    for index, item in enumerate(as_list(value, what)):
        item = as_dict(item, f"{what}[{index}]")
        found.append(Taint(str(item.get("key", "")), item.get("value"), str(item.get("effect", "NoSchedule"))))
    return tuple(found)


def tolerations(value: Any, what: str) -> tuple[Toleration, ...]:
    found = []
    for index, item in enumerate(as_list(value, what)):
        item = as_dict(item, f"{what}[{index}]")
        found.append(
            Toleration(
                key=item.get("key") or None,
                operator=str(item.get("operator", "Equal")),
                value=item.get("value"),
                effect=item.get("effect") or None,
            )
        )
    return tuple(found)
