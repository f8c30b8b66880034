"""JSON and table views of a consolidation plan. The JSON field names are the public contract."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engines.consolidation.plan import Action, Plan, Replacement


@dataclass(frozen=True)
class Source:
    """What the plan was made from: the file, the region its nodes are in, the kinds of object it held."""

    path: str
    region: str
    kinds: Mapping[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        found = ", ".join(f"{n} {kind}" for kind, n in self.kinds.items()) or "no objects"
        return f"{self.path}: {found}; region {self.region}"


def plan_json(plan: Plan, price_notes: list[str] | None = None, source: Source | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if source is not None:
        found["input"] = {"file": source.path, "region": source.region, "kinds": dict(source.kinds)}
    return found | {
        "cost_before_per_hour": round(plan.cost_before_per_hour, 4),
        "cost_after_per_hour": round(plan.cost_after_per_hour, 4),
        # the costs cover priced nodes only; these have no price and are left out of both
        "unpriced_nodes": list(plan.unpriced_nodes),
        "lower_bound_cost_per_hour": round(plan.lower_bound_cost_per_hour, 4),
        "lower_bound_assumptions": list(plan.bound_assumptions),
        "savings_per_hour": round(plan.savings_per_hour, 4),
        "pods_moved": plan.pods_moved,
        "actions": [_action_json(a) for a in plan.actions],
        "blocked": [{"node": b.node, "reason": b.reason} for b in plan.blocked],
        "search": plan.search,
        "price_notes": price_notes or [],
    }


def _action_json(action: Action) -> dict[str, Any]:
    launches = [_replacement_json(r) for r in action.launches]
    return {
        "type": action.type,
        "nodes": list(action.nodes),
        "replacement": launches[0] if launches else None,
        # every node the action launches ("new:<k>" in launch order); "replacement" is the first of them
        "replacements": launches,
        "moves": [{"pod": m.pod, "to": m.to} for m in action.moves],
        "eviction_rounds": action.eviction_rounds,
        "savings_per_hour": round(action.savings_per_hour, 4),
        "reasons": list(action.reasons),
    }


def _replacement_json(replacement: Replacement) -> dict[str, Any]:
    return {
        "instance_type": replacement.instance_type,
        "capacity_type": replacement.capacity_type,
        "availability_zone": replacement.availability_zone,
        "price_per_hour": round(replacement.price_per_hour, 4),
    }


def render(plan: Plan, fmt: str, price_notes: list[str] | None = None, source: Source | None = None) -> str:
    if fmt == "json":
        return json.dumps(plan_json(plan, price_notes, source), indent=2)
    lines = [*_totals(plan), *([f"read {source.describe()}"] if source is not None else []), ""]
    for number, action in enumerate(plan.actions, 1):
        kinds = Counter(r.instance_type for r in action.launches)
        target = f" -> {', '.join(f'{n} x {t}' if n > 1 else t for t, n in sorted(kinds.items()))}" if kinds else ""
        rounds = f" in {action.eviction_rounds} eviction rounds" if action.eviction_rounds > 1 else ""
        lines.append(
            f"{number:>3}. {action.type} {', '.join(action.nodes)}{target}: saves ${action.savings_per_hour:.4f}/h, "
            f"{len(action.moves)} pod(s) move{rounds}"
        )
        lines.extend(f"       {reason}" for reason in action.reasons)
    reasons = Counter(b.why.kind for b in plan.blocked)
    if reasons:
        lines += ["", f"{len(plan.blocked)} node(s) kept:"]
        lines.extend(f"  {count:>5}  {reason}" for reason, count in reasons.most_common())
    if price_notes:
        lines += ["", f"{len(price_notes)} price(s) estimated:"] + [f"  {note}" for note in price_notes]
    if plan.bound_assumptions:
        lines += ["", "the lower bound assumes:"] + [f"  - {a}" for a in plan.bound_assumptions]
    return "\n".join(lines)


def _totals(plan: Plan) -> list[str]:
    before, after = plan.cost_before_per_hour, plan.cost_after_per_hour
    unpriced = len(plan.unpriced_nodes)
    left_out = f" ({unpriced} unpriced node(s) left out of both)" if unpriced else ""
    if before <= 0 and unpriced:
        return [f"no node has a price: costs unknown for all {unpriced} node(s); {plan.pods_moved} pod(s) move"]
    share = 100 * (before - after) / before if before else 0.0
    return [
        f"cost ${before:.2f}/h -> ${after:.2f}/h (saves ${before - after:.2f}/h, {share:.1f}%){left_out}; "
        f"{plan.pods_moved} pod(s) move",
        f"no plan can go below ${plan.lower_bound_cost_per_hour:.2f}/h under the bound's assumptions (listed below)",
    ]
