"""Kubernetes objects from what users export: JSON or YAML, a List or typed lists, one document or several.

`kubectl get nodes,pods,pdb -A -o json` gives one `List` whose items carry their `kind`; the raw API (and
`kubectl get --raw`) gives a typed list (`NodeList`) whose items do not; `-o yaml` gives YAML; and users
concatenate answers (`kubectl get nodes -o json; kubectl get pods -A -o json > cluster.json`). All read alike,
and the reader says which kinds it found so a partial export is visible before anything is planned.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudoptim.adapters.file_io import read_text
from cloudoptim.errors import InputFileError

# Typed lists name their items' kind: the raw API leaves `kind` out of each item.
_LIST_SUFFIX = "List"
# Items of a plain List without `kind` are recognised by their API group and shape.
_POLICY_GROUPS = ("policy/v1", "policy/v1beta1")


@dataclass(frozen=True, slots=True)
class KubeObject:
    kind: str
    body: dict[str, Any]
    where: str  # "document 2, items[5]": for error messages when the object has no name yet


@dataclass(frozen=True)
class KubeObjects:
    """Every object of a file, in file order, and how many of each kind."""

    source: str
    objects: tuple[KubeObject, ...]

    def of(self, kind: str) -> Iterator[KubeObject]:
        return (o for o in self.objects if o.kind == kind)

    def count(self, kind: str) -> int:
        return sum(1 for o in self.objects if o.kind == kind)

    @property
    def kinds(self) -> dict[str, int]:
        return dict(sorted(Counter(o.kind for o in self.objects).items()))

    def describe(self) -> str:
        """ "3 Node, 12 Pod, 1 PodDisruptionBudget" (or "no objects")."""
        return ", ".join(f"{n} {kind}" for kind, n in self.kinds.items()) or "no objects"


def read_objects(path: Path) -> KubeObjects:
    """Every Kubernetes object in the file; InputFileError (naming the file) when it is neither JSON nor YAML."""
    return objects_of(parse_documents(read_text(path), str(path)), str(path))


def parse_documents(text: str, name: str) -> list[Any]:
    """The documents of a file: concatenated JSON values, or YAML documents separated by `---`."""
    stripped = text.lstrip()
    if not stripped:
        raise InputFileError(f"{name}: the file is empty")
    if stripped[0] in "{[":
        return _json_documents(stripped, name)
    return _yaml_documents(text, name)


def _json_documents(text: str, name: str) -> list[Any]:
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while position < len(text):
        try:
            document, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{name}: not JSON ({exc.msg} at line {exc.lineno})") from None
        documents.append(document)
        position = end
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
    return documents


def _yaml_documents(text: str, name: str) -> list[Any]:
    import yaml  # only YAML files need it (kubernetes brings PyYAML; the Lambda functions never read YAML)

    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputFileError(f"{name}: neither JSON nor YAML ({getattr(exc, 'problem', None) or exc}{where})") from None
    if not documents or not all(isinstance(d, dict | list) for d in documents):
        raise InputFileError(f"{name}: neither JSON nor YAML Kubernetes objects")
    return documents


def objects_of(documents: list[Any], name: str) -> KubeObjects:
    """The objects of every document; an object exported twice (two overlapping answers) is kept once, and two
    different objects of one kind, namespace and name (no cluster holds those) are refused."""
    found: list[KubeObject] = []
    seen: dict[tuple[str, str, str], KubeObject] = {}
    for number, document in enumerate(documents, 1):
        where = f"document {number}" if len(documents) > 1 else "the document"
        for item in _objects(document, where, name):
            key = _identity(item)
            if key is not None and key in seen:
                if seen[key].body != item.body:
                    raise InputFileError(
                        f"{name}: two different {item.kind} objects named {'/'.join(p for p in key[1:] if p)} "
                        f"({seen[key].where} and {item.where})"
                    )
                continue
            if key is not None:
                seen[key] = item
            found.append(item)
    return KubeObjects(name, tuple(found))


def _identity(item: KubeObject) -> tuple[str, str, str] | None:
    meta = item.body.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        return None  # unnamed objects are refused later, with the field named
    namespace = meta.get("namespace")
    return (item.kind, namespace if isinstance(namespace, str) else "", meta["name"])


def _objects(document: Any, where: str, name: str) -> Iterator[KubeObject]:
    if isinstance(document, list):  # a bare JSON array of objects
        items, item_kind = document, None
    elif isinstance(document, dict) and isinstance(document.get("items"), list):
        kind = str(document.get("kind") or "")
        items = document["items"]
        item_kind = kind[: -len(_LIST_SUFFIX)] if kind.endswith(_LIST_SUFFIX) and kind != _LIST_SUFFIX else None
    elif isinstance(document, dict) and str(document.get("kind") or "").endswith(_LIST_SUFFIX):
        raise InputFileError(f"{name}: {where} is a {document['kind']} without an 'items' array: expected a "
                             "Kubernetes List with an 'items' array")  # fmt: skip
    elif isinstance(document, dict) and document.get("kind"):
        yield KubeObject(str(document["kind"]), document, where)
        return
    else:
        raise InputFileError(
            f"{name}: {where} is not a Kubernetes object or List (expected 'kind' or 'items'; "
            "export with kubectl get nodes,pods,pdb -A -o json)"
        )
    for index, item in enumerate(items):
        label = f"{where}, items[{index}]"
        if not isinstance(item, dict):
            raise InputFileError(f"{name}: {label}: expected an object, got {type(item).__name__}")
        kind = str(item.get("kind") or item_kind or _guess_kind(item))
        yield KubeObject(kind, item, label)


def _guess_kind(item: dict[str, Any]) -> str:
    """The kind of an item a plain List gives without one, from its API group and shape ("Unknown" if unsure)."""
    spec, status = item.get("spec"), item.get("status")
    spec = spec if isinstance(spec, dict) else {}
    status = status if isinstance(status, dict) else {}
    if item.get("apiVersion") in _POLICY_GROUPS and ("minAvailable" in spec or "maxUnavailable" in spec):
        return "PodDisruptionBudget"
    if "containers" in spec:
        return "Pod"
    if "nodeInfo" in status or "allocatable" in status:
        return "Node"
    return "Unknown"
