"""Backtest: replay price history, let a selection policy pick a fleet at each rebalance, accrue real cost.

Cost accrues at the actual Spot price in force (On-Demand nodes at their On-Demand price) and is compared with the
same instances On-Demand (AWS's convention) and with one common baseline for every policy: the same node count on
the cheapest On-Demand type that fits (a policy choosing big, deeply discounted nodes cannot look cheap). An instability
event is a held pool whose price rises `instability_rise` (3%) or more above its price at selection within
`instability_window_hours` (12 h) of the selection, counted while the pool is held: the seed's definition,
the same one the ML target uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engines.registry import Registry
from engines.spot.fleet import CapacityType, FleetPolicy, plan_fleet
from engines.spot.model import Catalog, OnDemandPrices, PoolKey, PriceHistory, SpotAdvisor
from engines.spot.offerings import Offering, Offerings, build_offerings
from engines.spot.ranking import RankPolicy, rank_pools
from engines.spot.requirements import Requirements
from engines.spot.risk import RiskStrategy, get_strategy

HOUR = 3600


@dataclass(frozen=True, slots=True)
class Holding:
    offering: Offering
    nodes: int
    capacity_type: CapacityType = "spot"


Selector = Callable[[Offerings, Requirements, int, int], list[Holding]]


class BacktestSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    nodes: int = Field(ge=1)
    start: int
    end: int
    rebalance_hours: float = Field(24.0, gt=0)
    instability_rise: float = Field(0.03, gt=0)
    instability_window_hours: float = Field(12.0, gt=0)
    history_days: float = Field(7.0, gt=0)


@dataclass(frozen=True)
class BacktestResult:
    policy: str
    node_hours: float
    on_demand_cost: float
    cheapest_fit_on_demand_cost: float
    spot_cost: float
    instability_events: int
    nodes_hit_by_instability: int
    rebalances: int
    pools_used: int

    @property
    def savings_pct(self) -> float:
        return 100.0 * (1.0 - self.spot_cost / self.on_demand_cost) if self.on_demand_cost else 0.0

    @property
    def savings_vs_cheapest_fit_pct(self) -> float:
        fit = self.cheapest_fit_on_demand_cost
        return 100.0 * (1.0 - self.spot_cost / fit) if fit else 0.0

    @property
    def events_per_1000_node_hours(self) -> float:
        return 1000.0 * self.instability_events / self.node_hours if self.node_hours else 0.0


def cheapest_selector(offerings: Offerings, requirements: Requirements, at: int, nodes: int) -> list[Holding]:
    """All nodes on the single cheapest compatible pool."""
    best = offerings.compatible(requirements).cheapest()
    return [Holding(best, nodes)] if best else []


def lowest_advisor_risk_selector(
    offerings: Offerings, requirements: Requirements, at: int, nodes: int
) -> list[Holding]:
    """All nodes on the pool with the lowest advisor bucket, the cheapest among those (unknown bucket last)."""
    pools = offerings.compatible(requirements).items
    if not pools:
        return []
    best = min(
        pools, key=lambda o: (o.advisor.bucket if o.advisor else 5, o.spot_price, o.instance_type, o.availability_zone)
    )
    return [Holding(best, nodes)]


def yield_selector(
    strategy: RiskStrategy | None = None, rank_policy: RankPolicy | None = None, fleet: FleetPolicy | None = None
) -> Selector:
    """The product's own choice: the diversified fleet plan over yield-ranked safe pools."""
    risk = strategy or get_strategy()
    fleet_policy = fleet or FleetPolicy(min_on_demand_share=0.0)

    def select(offerings: Offerings, requirements: Requirements, at: int, nodes: int) -> list[Holding]:
        region = offerings.items[0].region if offerings.items else ""
        plan = plan_fleet(rank_pools(offerings, requirements, risk, at, region, rank_policy), nodes, fleet_policy)
        grouped: dict[tuple[str, str, str], Holding] = {}
        for slot in plan.slots:
            key = (slot.offering.instance_type, slot.offering.availability_zone, slot.capacity_type)
            held = grouped.get(key)
            grouped[key] = Holding(slot.offering, (held.nodes if held else 0) + 1, slot.capacity_type)
        return list(grouped.values())

    return select


def model_selector(
    probabilities: Mapping[int, Mapping[PoolKey, float]],
    model: str,
    rank_policy: RankPolicy | None = None,
    fleet: FleetPolicy | None = None,
) -> Selector:
    """The yield fleet with the model's probabilities as risk; `probabilities` holds one mapping per rebalance time.

    Probabilities are computed outside the engine (ml/) from prices up to each rebalance and passed in as a value.
    """

    def select(offerings: Offerings, requirements: Requirements, at: int, nodes: int) -> list[Holding]:
        strategy = get_strategy("model", {"probabilities": probabilities.get(at, {}), "model": model})
        return yield_selector(strategy, rank_policy, fleet)(offerings, requirements, at, nodes)

    return select


def _model_selector(options: Mapping[str, Any]) -> Selector:
    if "probabilities" not in options:
        raise ValueError("the model policy needs per-rebalance probabilities from a loaded model")
    return model_selector(
        options["probabilities"],
        str(options.get("model", "unnamed")),
        fleet=FleetPolicy(min_on_demand_share=float(options.get("on_demand_share", 0.0))),
    )


BACKTEST_POLICIES = Registry[Selector](
    "backtest policy",
    {
        "yield": lambda options: yield_selector(
            fleet=FleetPolicy(min_on_demand_share=float(options.get("on_demand_share", 0.0)))
        ),
        "cheapest": lambda options: cheapest_selector,
        "lowest-advisor-risk": lambda options: lowest_advisor_risk_selector,
        "model": _model_selector,
    },
)


def selector_names() -> list[str]:
    return BACKTEST_POLICIES.names()


def get_selector(name: str, options: Mapping[str, Any] | None = None) -> Selector:
    """Build a registered selection policy; unknown names raise KeyError naming the known ones."""
    return BACKTEST_POLICIES.build(name, options)


def run_backtest(
    policy: str,
    selector: Selector,
    history: PriceHistory,
    catalog: Catalog,
    on_demand: OnDemandPrices,
    advisor: SpotAdvisor,
    requirements: Requirements,
    settings: BacktestSettings,
) -> BacktestResult:
    """Replay [start, end): select at each rebalance, hold until the next, accrue cost and count instability."""
    if settings.end <= settings.start:
        raise ValueError("the backtest end must be after its start")
    step = int(settings.rebalance_hours * HOUR)
    window = int(settings.instability_window_hours * HOUR)
    totals = {"node_hours": 0.0, "od": 0.0, "fit": 0.0, "cost": 0.0, "events": 0, "hit": 0, "rebalances": 0}
    pools_used: set[tuple[str, str]] = set()
    at = settings.start
    while at < settings.end:
        until = min(at + step, settings.end)
        offerings = build_offerings(history, catalog, on_demand, advisor, at, settings.history_days)
        holdings = selector(offerings, requirements, at, settings.nodes)
        baseline = offerings.compatible(requirements).cheapest_on_demand()
        if not holdings or baseline is None:
            raise ValueError(f"no pool meets the requirements at {at}: nothing to backtest")
        totals["rebalances"] += 1
        # Besides each node's own On-Demand price, every policy is measured against one common alternative:
        # the same node count on the cheapest On-Demand type that fits.
        totals["fit"] += sum(h.nodes for h in holdings) * baseline.on_demand_price * (until - at) / HOUR
        for held in holdings:
            _accrue(totals, held, history, at, until, window, settings.instability_rise)
            pools_used.add((held.offering.instance_type, held.offering.availability_zone))
        at = until
    return BacktestResult(
        policy=policy,
        node_hours=totals["node_hours"],
        on_demand_cost=totals["od"],
        cheapest_fit_on_demand_cost=totals["fit"],
        spot_cost=totals["cost"],
        instability_events=int(totals["events"]),
        nodes_hit_by_instability=int(totals["hit"]),
        rebalances=int(totals["rebalances"]),
        pools_used=len(pools_used),
    )


def _accrue(
    totals: dict[str, float], held: Holding, history: PriceHistory, at: int, until: int, window: int, rise: float
) -> None:
    hours = (until - at) / HOUR
    offering = held.offering
    totals["node_hours"] += held.nodes * hours
    totals["od"] += held.nodes * offering.on_demand_price * hours
    if held.capacity_type == "on-demand":
        totals["cost"] += held.nodes * offering.on_demand_price * hours
        return
    series = history.series[offering.key]
    totals["cost"] += held.nodes * series.integral(at, until)
    peak = series.max_between(at, min(at + window, until))
    if peak is not None and peak >= offering.spot_price * (1.0 + rise) - 1e-12:
        totals["events"] += 1
        totals["hit"] += held.nodes
