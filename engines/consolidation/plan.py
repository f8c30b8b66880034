"""The consolidation plan: actions with their moves and reasons, blocked nodes with theirs, costs and a bound."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
    # Evictions go one PDB allowance at a time, each round waiting for the last round's pods to be Ready
    # elsewhere (the Eviction API answers 429 meanwhile): ceil(pods of a budget / its allowance), the largest
    # over the budgets; 1 when no budget limits the pods, 0 when there are none.
    eviction_rounds: int = 0

    @property
    def launches(self) -> tuple[Replacement, ...]:
        return () if self.replacement is None else (self.replacement, *self.more_replacements)


class BlockCode(StrEnum):
    """Why a node stays, for code to test; the words for people are in `BlockReason.text`."""

    NODE_DO_NOT_DISRUPT = "node-do-not-disrupt"
    NO_PRICE = "no-price"
    POD_DO_NOT_DISRUPT = "pod-do-not-disrupt"
    NAMESPACE_EXCLUDED = "namespace-excluded"
    BARE_POD = "bare-pod"
    LOCAL_STORAGE = "local-storage"
    SEVERAL_PDBS = "several-pdbs"
    POD_PENDING = "pod-pending"
    PDB_TOO_TIGHT = "pdb-too-tight"  # a budget allows no disruption at all now
    RESOURCE_NOT_OFFERED = "resource-not-offered"  # a pod needs a resource no allowed replacement is known to offer
    SAVES_TOO_LITTLE = "saves-too-little"
    POD_FITS_NOWHERE = "pod-fits-nowhere"
    NO_REPLACEMENT_OFFERS = "no-replacement-offers"
    NO_CHEAPER_REPLACEMENT = "no-cheaper-replacement"
    KEPT_AS_TARGET = "kept-as-target"
    NO_CHEAPER_ARRANGEMENT = "no-cheaper-arrangement"


@dataclass(frozen=True, slots=True)
class BlockReason:
    """Why a node stays: its code, the words, and (when the words name a pod) the words alike reasons share."""

    code: BlockCode
    text: str
    summary: str | None = None

    @property
    def kind(self) -> str:
        """The reason without the names in it, to count alike reasons together."""
        return self.text if self.summary is None else self.summary


@dataclass(frozen=True, slots=True)
class Blocked:
    node: str
    why: BlockReason

    @property
    def reason(self) -> str:
        return self.why.text

    @property
    def code(self) -> BlockCode:
        return self.why.code


@dataclass(frozen=True)
class Plan:
    cost_before_per_hour: float
    cost_after_per_hour: float
    actions: tuple[Action, ...]
    blocked: tuple[Blocked, ...]
    lower_bound_cost_per_hour: float
    search: str  # which candidate order produced the plan, and what else was tried
    unpriced_nodes: tuple[str, ...] = ()  # left out of both costs: no price known
    bound_assumptions: tuple[str, ...] = ()  # what the lower bound holds under (bound.ASSUMPTIONS)

    @property
    def pods_moved(self) -> int:
        return sum(len(a.moves) for a in self.actions)

    @property
    def savings_per_hour(self) -> float:
        return self.cost_before_per_hour - self.cost_after_per_hour
