"""The consolidation plan: actions with their moves and reasons, blocked nodes with theirs, costs and a bound."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Move:
    pod: str  # namespace/name
    to: str  # an existing node's name or "new:<index>" (index into the plan's new nodes)


@dataclass(frozen=True, slots=True)
class Replacement:
    instance_type: str
    capacity_type: str
    availability_zone: str
    price_per_hour: float


@dataclass(frozen=True, slots=True)
class Action:
    type: str  # "delete" or "replace"
    nodes: tuple[str, ...]
    replacement: Replacement | None
    moves: tuple[Move, ...]
    savings_per_hour: float
    reasons: tuple[str, ...]
    # A 1->N or M->N repack launches several nodes: `replacement` is the first, these the rest, in launch order.
    more_replacements: tuple[Replacement, ...] = ()

    @property
    def launches(self) -> tuple[Replacement, ...]:
        return () if self.replacement is None else (self.replacement, *self.more_replacements)


@dataclass(frozen=True, slots=True)
class Blocked:
    node: str
    reason: str


@dataclass(frozen=True)
class Plan:
    cost_before_per_hour: float
    cost_after_per_hour: float
    actions: tuple[Action, ...]
    blocked: tuple[Blocked, ...]
    lower_bound_cost_per_hour: float
    search: str  # which candidate order produced the plan, and what else was tried

    @property
    def pods_moved(self) -> int:
        return sum(len(a.moves) for a in self.actions)

    @property
    def savings_per_hour(self) -> float:
        return self.cost_before_per_hour - self.cost_after_per_hour
