"""JSON shapes the emulator serves: Status bodies, conditions, nodes as a kubelet registers them, patches."""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cloudoptim.adapters.day_zero import shipped_data_dir
from cloudoptim.adapters.reference_data import load_catalog

Obj = dict[str, Any]
_CATALOG = shipped_data_dir() / "instance-catalog.csv"


class ApiError(Exception):
    """An API refusal; `body()` is the Status object the server sends."""

    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def body(self) -> Obj:
        return status_body(self.code, self.reason, self.message, self.details)


def status_body(code: int, reason: str, message: str, details: Obj | None = None) -> Obj:
    body: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "code": code}
    body.update({"status": "Failure", "reason": reason, "message": message} if code >= 400 else {"status": "Success"})
    if details:
        body["details"] = details
    return body


def not_found(kind: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{kind} "{name}" not found', {"name": name, "kind": kind})


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_ready(obj: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in obj.get("status", {}).get("conditions") or []
    )


def set_ready(obj: Obj, ready: bool, reason: str) -> None:
    """Set the Ready condition, keeping lastTransitionTime when the status does not change."""
    conditions = obj.setdefault("status", {}).setdefault("conditions", [])
    wanted = "True" if ready else "False"
    current = next((c for c in conditions if c.get("type") == "Ready"), None)
    if current is None:
        current = {"type": "Ready"}
        conditions.append(current)
    if current.get("status") != wanted:
        current["lastTransitionTime"] = now_iso()
    current.update({"status": wanted, "reason": reason, "lastHeartbeatTime": now_iso()})


def node_object(
    name: str, instance_id: str, zone: str, instance_type: str, labels: dict[str, str], allocatable: dict[str, str]
) -> Obj:
    """A Node as the kubelet of a freshly booted EKS instance registers it: NotReady until the CNI is up."""
    node: Obj = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": instance_type,
                "topology.kubernetes.io/zone": zone,
                "topology.kubernetes.io/region": zone[:-1],
                **labels,
            },
        },
        "spec": {"providerID": f"aws:///{zone}/{instance_id}"},
        "status": {"capacity": dict(allocatable), "allocatable": dict(allocatable), "conditions": []},
    }
    set_ready(node, False, "KubeletNotReady")
    return node


@lru_cache(maxsize=1)
def _catalog() -> Any:
    return load_catalog(_CATALOG)


def allocatable_for(instance_type: str) -> dict[str, str]:
    """Allocatable of an EKS AMI node: kube-reserved cpu and memory by the AMI's formula, 100Mi eviction."""
    item = _catalog().get(instance_type)
    if item is None:
        return {"cpu": "1930m", "memory": "7100Mi", "pods": "29"}
    max_pods = item.max_pods or 110
    reserved_m = sum(int(1000 * share) for share in _reserved_shares(item.vcpus))
    memory_mi = math.floor(item.memory_gib * 1024) - 255 - 11 * max_pods - 100
    allocatable = {"cpu": f"{item.vcpus * 1000 - reserved_m}m", "memory": f"{memory_mi}Mi", "pods": str(max_pods)}
    if item.gpus:
        allocatable["nvidia.com/gpu"] = str(item.gpus)
    return allocatable


def _reserved_shares(vcpus: int) -> list[float]:
    return [0.06 if core == 0 else 0.01 if core == 1 else 0.005 if core < 4 else 0.0025 for core in range(vcpus)]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 merge patch (strategic merge patches of the fields we serve behave the same): null deletes."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # strategic-merge directives
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: Obj, operations: list[Any]) -> Obj:
    """RFC 6902 add / replace / remove / test on object paths (label keys escape '/' as '~1')."""
    result = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "path" not in op:
            raise ApiError(400, "BadRequest", f"invalid JSON patch operation: {op!r}")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in str(op["path"]).split("/")[1:]]
        parent: Any = result
        for part in parts[:-1]:  # a list is indexed by position (spec/template/spec/containers/0/resources)
            if isinstance(parent, list):
                parent = _item(parent, part, str(op["path"]))
            else:
                parent = parent.setdefault(part, {}) if op["op"] == "add" else parent.get(part, {})
        leaf: Any = parts[-1] if parts else ""
        if isinstance(parent, list):
            _item(parent, leaf, str(op["path"]))
            leaf = int(leaf)
        if op["op"] in ("add", "replace"):
            parent[leaf] = copy.deepcopy(op.get("value"))
        elif op["op"] == "remove":
            if not isinstance(parent, list) and leaf not in parent:
                raise ApiError(422, "Invalid", f"the path {op['path']!r} does not exist")
            del parent[leaf]
        elif op["op"] == "test" and (parent[leaf] if isinstance(parent, list) else parent.get(leaf)) != op.get("value"):
            raise ApiError(422, "Invalid", f"test failed at {op['path']!r}")
    return result


def _item(items: list[Any], part: str, path: str) -> Any:
    if not part.isdigit() or int(part) >= len(items):
        raise ApiError(422, "Invalid", f"the path {path!r} does not exist")
    return items[int(part)]
