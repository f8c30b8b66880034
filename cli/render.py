"""JSON and table views of Spot engine results. The JSON field names are the public contract."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from cli.timeparse import iso
from engines.spot.backtest import BacktestResult, BacktestSettings
from engines.spot.fleet import FleetPlan, Slot
from engines.spot.offerings import Offering, Rejection
from engines.spot.ranking import RankedPool, RankResult


def _pool_fields(offering: Offering) -> dict[str, Any]:
    return {
        "instance_type": offering.instance_type,
        "availability_zone": offering.availability_zone,
        "az_id": offering.az_id,
        "spot_price": round(offering.spot_price, 6),
        "on_demand_price": round(offering.on_demand_price, 6),
        "advisor_bucket": offering.advisor.label if offering.advisor else None,
        "advisor_savings_pct": offering.advisor.savings_pct if offering.advisor else None,
    }


def _ranked_json(pool: RankedPool) -> dict[str, Any]:
    return {
        **_pool_fields(pool.offering),
        "risk": round(pool.risk.value, 4),
        "yield_score": round(pool.yield_score, 3),
        "tco_per_hour": round(pool.tco, 6),
        "reasons": list(pool.reasons),
    }


def _rejected_json(rejected: tuple[Rejection, ...]) -> list[dict[str, str]]:
    return [
        {"instance_type": r.instance_type, "availability_zone": r.availability_zone, "reason": r.reason}
        for r in rejected
    ]


def rank(result: RankResult, top: int, data_note: str, fmt: str) -> str:
    pools = result.top(top)
    if fmt == "json":
        return json.dumps(
            {
                "region": result.region,
                "at": iso(result.at),
                "data": data_note,
                "pools": [_ranked_json(p) for p in pools],
                "rejected": _rejected_json(result.rejected),
            },
            indent=2,
        )
    lines = [f"Spot pools in {result.region} at {iso(result.at)} ({data_note})", ""]
    lines += _table(
        ["#", "instance type", "zone", "spot $/h", "OD $/h", "save", "advisor", "risk", "yield"],
        [
            [
                str(i + 1),
                p.offering.instance_type,
                p.offering.availability_zone,
                f"{p.offering.spot_price:.4f}",
                f"{p.offering.on_demand_price:.4f}",
                f"{p.offering.discount:.0%}",
                p.offering.advisor.label if p.offering.advisor else "?",
                f"{p.risk.value:.3f}",
                f"{p.yield_score:.1f}",
            ]
            for i, p in enumerate(pools)
        ],
    )
    if pools:
        lines += ["", f"Why #1 ({pools[0].offering.instance_type} in {pools[0].offering.availability_zone}):"]
        lines += [f"  - {reason}" for reason in pools[0].reasons]
    else:
        lines += ["", "No safe Spot pool: use On-Demand (see `spot plan`)."]
    lines += ["", *_rejection_summary(result.rejected)]
    return "\n".join(lines)


def _slot_json(slot: Slot) -> dict[str, Any]:
    base = (
        _ranked_json(slot.pool)
        if slot.pool
        else {**_pool_fields(slot.offering), "risk": 0.0, "yield_score": None, "tco_per_hour": None}
    )
    return {
        **base,
        "capacity_type": slot.capacity_type,
        "hourly_price": round(slot.hourly_price, 6),
        "reasons": list(slot.reasons),
    }


def plan_summary(plan: FleetPlan) -> dict[str, Any]:
    on_demand_equivalent = sum(s.offering.on_demand_price for s in plan.slots)
    cost = plan.hourly_cost()
    return {
        "spot_nodes": len(plan.spot_slots),
        "on_demand_nodes": len(plan.slots) - len(plan.spot_slots),
        "spot_pools": len(plan.pool_counts()),
        "spot_zones": sorted(plan.spot_zones()),
        "max_nodes_in_one_pool": max(plan.pool_counts().values(), default=0),
        "hourly_cost": round(cost, 6),
        "on_demand_hourly_cost": round(on_demand_equivalent, 6),
        "savings_pct": round(100 * (1 - cost / on_demand_equivalent), 2) if on_demand_equivalent else 0.0,
    }


def plan(result: RankResult, fleet: FleetPlan, data_note: str, fmt: str) -> str:
    summary = plan_summary(fleet)
    if fmt == "json":
        return json.dumps(
            {
                "region": result.region,
                "at": iso(result.at),
                "data": data_note,
                "nodes": fleet.nodes,
                "summary": summary,
                "reasons": list(fleet.reasons),
                "slots": [_slot_json(s) for s in fleet.slots],
                "rejected": _rejected_json(result.rejected),
            },
            indent=2,
        )
    groups = Counter((s.capacity_type, s.offering.instance_type, s.offering.availability_zone) for s in fleet.slots)
    lines = [f"Fleet of {fleet.nodes} nodes in {result.region} at {iso(result.at)} ({data_note})", ""]
    lines += _table(
        ["nodes", "capacity", "instance type", "zone", "$/h each"],
        [
            [str(n), cap, itype, zone, f"{_price(fleet, cap, itype, zone):.4f}"]
            for (cap, itype, zone), n in groups.items()
        ],
    )
    lines += [
        "",
        f"Cost ${summary['hourly_cost']:.4f}/h vs ${summary['on_demand_hourly_cost']:.4f}/h On-Demand "
        f"({summary['savings_pct']:.1f}% saved); {summary['spot_pools']} Spot pools in "
        f"{len(summary['spot_zones'])} zones",
        *[f"  - {r}" for r in fleet.reasons],
    ]
    return "\n".join(lines)


def _price(fleet: FleetPlan, cap: str, itype: str, zone: str) -> float:
    return next(
        s.hourly_price
        for s in fleet.slots
        if (s.capacity_type, s.offering.instance_type, s.offering.availability_zone) == (cap, itype, zone)
    )


def backtest(result: BacktestResult, settings: BacktestSettings, region: str, fmt: str) -> str:
    body = {
        "policy": result.policy,
        "node_hours": round(result.node_hours, 2),
        "on_demand_cost": round(result.on_demand_cost, 4),
        "spot_cost": round(result.spot_cost, 4),
        "savings_pct": round(result.savings_pct, 2),
        "cheapest_fit_on_demand_cost": round(result.cheapest_fit_on_demand_cost, 4),
        "savings_vs_cheapest_fit_pct": round(result.savings_vs_cheapest_fit_pct, 2),
        "instability_events": result.instability_events,
        "events_per_1000_node_hours": round(result.events_per_1000_node_hours, 4),
        "nodes_hit_by_instability": result.nodes_hit_by_instability,
        "rebalances": result.rebalances,
        "pools_used": result.pools_used,
        "region": region,
        "start": iso(settings.start),
        "end": iso(settings.end),
        "rebalance_hours": settings.rebalance_hours,
    }
    if fmt == "json":
        return json.dumps(body, indent=2)
    return "\n".join(f"{key:28} {value}" for key, value in body.items())


def _rejection_summary(rejected: tuple[Rejection, ...]) -> list[str]:
    if not rejected:
        return ["Nothing rejected."]
    counts = Counter(_reason_kind(r.reason) for r in rejected)
    return [f"{len(rejected)} pools rejected, most common reasons:"] + [
        f"  {n:5d}  {kind}" for kind, n in counts.most_common(6)
    ]


def _reason_kind(reason: str) -> str:
    # Group "4 vCPUs, 8 required" and "2 vCPUs, 8 required" under one line of the summary.
    return " ".join("N" if word.replace(".", "").replace("$", "").isdigit() else word for word in reason.split())


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*header), fmt.format(*("-" * w for w in widths))] + [fmt.format(*row) for row in rows]
