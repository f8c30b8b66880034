"""The `actions` a recommendation carries (the sweep writes them, the execution workflow reads them), validated on
read: a malformed list is one InvalidArgumentError naming the recommendation, the action and the field, raised
before anything changes.

>>> plan = parse_actions("consolidation", [{"type": "delete", "nodes": ["n1"], "moves": [{"pod": "a/b", "to": "n2"}]}])
>>> plan.node_actions[0].moves[0].to
'n2'
>>> try:
...     parse_actions("oom", [{"type": "delete", "nodes": []}])
... except InvalidArgumentError as exc:
...     print(str(exc)[:60])
actions of a oom recommendation: action 1 (type): Input shou
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cloudoptim.errors import InvalidArgumentError

NODE_KINDS = frozenset({"consolidation", "node_rightsizing", "spot"})
WORKLOAD_KINDS = frozenset({"workload_rightsizing", "oom"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LaunchSpec(_Strict):
    instance_type: str = Field(min_length=1)
    availability_zone: str = Field(min_length=1)
    capacity_type: Literal["on-demand", "spot"]
    node_group: str | None = None
    price_per_hour: float | None = Field(None, ge=0, description="the price the plan counted on (informative)")


class PodMove(_Strict):
    pod: str = Field(pattern=r"^[^/\s]+/[^/\s]+$", description="namespace/name")
    # new:<k> is the plan's k-th launch counting from 0 across all its actions (engines.consolidation.validate)
    to: str = Field(min_length=1, description="an existing node, or new:<k>")

    @property
    def to_new(self) -> int | None:
        return int(self.to.split(":", 1)[1]) if self.to.startswith("new:") else None


class NodeAction(_Strict):
    type: Literal["delete", "replace"]
    nodes: list[str] = Field(min_length=1)
    launches: list[LaunchSpec] = []
    moves: list[PodMove] = []
    eviction_rounds: int = Field(0, ge=0, description="PDB rounds the plan expects (informative)")

    @model_validator(mode="after")
    def _consistent(self) -> NodeAction:
        if self.type == "delete" and self.launches:
            raise ValueError("a delete launches nothing (use replace)")
        if self.type == "replace" and not self.launches:
            raise ValueError("a replace needs at least one launch")
        for move in self.moves:
            if move.to.startswith("new:") and not move.to[4:].isdigit():
                raise ValueError(f"move of {move.pod} to {move.to}: a new node is new:<k>, k counting from 0")
            if move.to in self.nodes:
                raise ValueError(f"move of {move.pod} to {move.to}: a node this action removes")
        return self


class PatchRequests(_Strict):
    type: Literal["patch_requests"]
    namespace: str = Field(min_length=1)
    owner_kind: Literal["Deployment", "StatefulSet", "DaemonSet"]
    owner_name: str = Field(min_length=1)
    container: str = Field(min_length=1)
    cpu_request_cores: float | None = Field(None, gt=0)
    memory_request_bytes: int | None = Field(None, gt=0)
    memory_limit_bytes: int | None = Field(None, gt=0)
    # what the sweep saw (informative: the workflow reads the live object before patching)
    was_cpu_request_cores: float | None = None
    was_memory_request_bytes: int | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> PatchRequests:
        if self.cpu_request_cores is None and self.memory_request_bytes is None and self.memory_limit_bytes is None:
            raise ValueError("changes nothing: give cpu_request_cores, memory_request_bytes or memory_limit_bytes")
        return self

    @property
    def owner(self) -> str:
        return f"{self.owner_kind}/{self.namespace}/{self.owner_name}"


@dataclass(frozen=True)
class ParsedActions:
    node_actions: tuple[NodeAction, ...] = ()
    patches: tuple[PatchRequests, ...] = ()


def parse_actions(kind: str, raw: Any) -> ParsedActions:
    """The actions of a recommendation of `kind`; InvalidArgumentError names the first problem found."""
    where = f"actions of a {kind} recommendation"
    if not isinstance(raw, list) or not raw:
        raise InvalidArgumentError(f"{where}: expected a non-empty list, got {type(raw).__name__}")
    model: type[NodeAction] | type[PatchRequests]
    if kind in NODE_KINDS:
        model = NodeAction
    elif kind in WORKLOAD_KINDS:
        model = PatchRequests
    else:
        raise InvalidArgumentError(f"{where}: unknown kind {kind!r}")
    parsed = []
    for number, item in enumerate(raw, 1):
        try:
            parsed.append(model.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "action"
            raise InvalidArgumentError(f"{where}: action {number} ({field}): {first['msg']}") from exc
    if model is NodeAction:
        nodes = [n for a in parsed if isinstance(a, NodeAction) for n in a.nodes]
        twice = sorted({n for n in nodes if nodes.count(n) > 1})
        if twice:
            raise InvalidArgumentError(f"{where}: node(s) {', '.join(twice)} in more than one action")
        actions = tuple(a for a in parsed if isinstance(a, NodeAction))
        launches = sum(len(a.launches) for a in actions)
        beyond = sorted(
            {m.to for a in actions for m in a.moves if (m.to_new or 0) >= launches and m.to_new is not None}
        )
        if beyond:
            raise InvalidArgumentError(
                f"{where}: moves to {', '.join(beyond)} but the plan launches {launches} node(s)"
            )
        return ParsedActions(node_actions=actions)
    return ParsedActions(patches=tuple(a for a in parsed if isinstance(a, PatchRequests)))
