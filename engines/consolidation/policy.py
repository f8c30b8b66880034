"""The consolidation policy: every default in one place, validated once at the edge (CLI or API)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DO_NOT_DISRUPT = ("karpenter.sh/do-not-disrupt", "cloudoptim.io/do-not-disrupt")
SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"


class ConsolidationPolicy(BaseModel):
    """What the planner may do. Loaded from `--policy PATH` (JSON); unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    excluded_namespaces: tuple[str, ...] = Field(
        default=("kube-system",), description="pods here are never evicted, so their nodes stay"
    )
    do_not_disrupt_annotations: tuple[str, ...] = DO_NOT_DISRUPT
    min_savings_per_hour: float = Field(
        default=0.01, ge=0, description="an action must save at least this much ($/h) to be worth the disruption"
    )
    min_savings_share: float = Field(
        default=0.05, ge=0, le=1, description="...and at least this share of the price of the nodes it removes"
    )
    charge_per_pod_moved: float = Field(
        default=0.05,
        ge=0,
        description="$/h each eviction counts against a plan when searches are compared: the plan that moves "
        "fewer pods wins unless another saves more than this per extra pod",
    )
    allow_delete: bool = True
    allow_replace: bool = True
    max_nodes_per_replace: int = Field(default=10, ge=1, le=100)
    allow_split: bool = Field(default=True, description="a replacement may launch several smaller nodes (1->N, M->N)")
    max_new_nodes_per_action: int = Field(default=16, ge=1, le=100)
    replacement_families: tuple[str, ...] = Field(default=(), description="allowed families; empty = all")
    replacement_current_generation_only: bool = True
    evict_local_storage: bool = Field(
        default=False, description="pods with emptyDir/hostPath lose data on eviction; honour safe-to-evict instead"
    )
    evict_bare_pods: bool = Field(default=False, description="a pod with no controller is never recreated")
    searches: int = Field(default=3, ge=1, le=5, description="searches tried (planner._orders); the cheapest plan wins")
