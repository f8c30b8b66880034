"""JSON and table views of a sweep. The JSON field names are the public contract of `cloudoptim analyze`."""

from __future__ import annotations

import json
from typing import Any

from engines.sweep.compose import SweepResult
from engines.sweep.ledger import MICRO


def sweep_json(result: SweepResult) -> dict[str, Any]:
    ledger = result.ledger
    before, after = ledger.cost_before_micro / MICRO, ledger.cost_after_micro / MICRO
    return {
        "cost_before_per_hour": before,
        "cost_after_per_hour": after,
        "savings_pct": round(100 * ledger.savings_micro / ledger.cost_before_micro, 2)
        if ledger.cost_before_micro
        else 0.0,
        # µ$-exact: these add up to cost_before_per_hour - cost_after_per_hour (docs/decisions.md)
        "by_capability": {str(c): v / MICRO for c, v in ledger.by_capability().items()},
        "nodes_after": [
            {
                "name": n.name,
                "instance_type": n.instance_type,
                "availability_zone": n.availability_zone,
                "capacity_type": n.capacity_type,
                "price_per_hour": n.price_per_hour,
            }
            for n in result.nodes_after
        ],
        "placements": [{"pod": pod, "node": node} for pod, node in sorted(result.placements.items())],
        "requests": [
            {
                "namespace": r.namespace,
                "pod": r.pod,
                "container": r.container,
                "cpu_request_cores": round(r.cpu_request_cores, 6),
                "memory_request_bytes": r.memory_request_bytes,
            }
            for r in result.requests
        ],
        "reasons": list(result.reasons),
        "problems": list(result.problems),
    }


def render(result: SweepResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(sweep_json(result), indent=2)
    ledger = result.ledger
    data = sweep_json(result)
    lines = [
        f"cost ${data['cost_before_per_hour']:.4f}/h -> ${data['cost_after_per_hour']:.4f}/h "
        f"(saves {data['savings_pct']:.2f}%)",
        "by capability: " + ", ".join(f"{c} ${v:.4f}/h" for c, v in data["by_capability"].items()),
        f"nodes: {len(result.nodes_after)} after; {sum(r.changed for r in result.requests)} container request(s) "
        f"changed; {len(ledger.entries)} ledger entries",
        *(f"problem: {p}" for p in result.problems),
        *result.reasons[:4],
    ]
    return "\n".join(lines)
