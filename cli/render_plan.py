"""JSON and table views of a consolidation plan. The JSON field names are the public contract."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from engines.consolidation.plan import Action, Plan, Replacement


def plan_json(plan: Plan, price_notes: list[str] | None = None) -> dict[str, Any]:
    return {
        "cost_before_per_hour": round(plan.cost_before_per_hour, 4),
        "cost_after_per_hour": round(plan.cost_after_per_hour, 4),
        "lower_bound_cost_per_hour": round(plan.lower_bound_cost_per_hour, 4),
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


def render(plan: Plan, fmt: str, price_notes: list[str] | None = None) -> str:
    if fmt == "json":
        return json.dumps(plan_json(plan, price_notes), indent=2)
    before, after = plan.cost_before_per_hour, plan.cost_after_per_hour
    share = 100 * (before - after) / before if before else 0.0
    lines = [
        f"cost ${before:.2f}/h -> ${after:.2f}/h (saves ${before - after:.2f}/h, {share:.1f}%); "
        f"no plan can go below ${plan.lower_bound_cost_per_hour:.2f}/h; {plan.pods_moved} pod(s) move",
        "",
    ]
    for number, action in enumerate(plan.actions, 1):
        kinds = Counter(r.instance_type for r in action.launches)
        target = f" -> {', '.join(f'{n} x {t}' if n > 1 else t for t, n in sorted(kinds.items()))}" if kinds else ""
        lines.append(
            f"{number:>3}. {action.type} {', '.join(action.nodes)}{target}: saves ${action.savings_per_hour:.4f}/h, "
            f"{len(action.moves)} pod(s) move"
        )
        lines.extend(f"       {reason}" for reason in action.reasons)
    reasons = Counter(b.why.kind for b in plan.blocked)
    if reasons:
        lines += ["", f"{len(plan.blocked)} node(s) kept:"]
        lines.extend(f"  {count:>5}  {reason}" for reason, count in reasons.most_common())
    if price_notes:
        lines += ["", f"{len(price_notes)} price(s) estimated:"] + [f"  {note}" for note in price_notes]
    return "\n".join(lines)
