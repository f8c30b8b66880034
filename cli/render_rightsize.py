"""JSON and table views of a rightsizing result. The JSON field names are the public contract."""

from __future__ import annotations

import json
from typing import Any

from cli.render import _table as table
from cli.timeparse import iso
from engines.rightsizing.inventory import ContainerResources
from engines.rightsizing.result import OomRemediation, Recommendation, RightsizeResult, Skipped
from engines.rightsizing.strategy import fmt_bytes, fmt_cores

GIB = 2**30


def render(result: RightsizeResult, window_days: float, fmt: str) -> str:
    body = {
        "strategy": result.strategy,
        "window": _window(result, window_days),
        "summary": summary(result),
        "recommendations": [_recommendation(r) for r in result.recommendations],
        "skipped": [_skipped(s) for s in result.skipped],
        "oom": [_oom(o) for o in result.ooms],
        "escalations": [
            {"namespace": o.namespace, "pod": o.pod, "container": o.container, "reasons": list(o.reasons)}
            for o in result.escalations()
        ],
    }
    return json.dumps(body, indent=2) if fmt == "json" else _text(result, body)


def summary(result: RightsizeResult) -> dict[str, Any]:
    """Totals over the recommended containers, per replica count (what the cluster would request)."""
    cpu_now = cpu_new = memory_now = memory_new = 0.0
    for r in result.recommendations:
        replicas = len(r.pods)
        if r.cpu_request_cores is not None and r.current.cpu_request_cores is not None:
            cpu_now += replicas * r.current.cpu_request_cores
            cpu_new += replicas * r.cpu_request_cores
        if r.memory_request_bytes is not None and r.current.memory_request_bytes is not None:
            memory_now += replicas * r.current.memory_request_bytes
            memory_new += replicas * r.memory_request_bytes
    return {
        "recommended": len(result.recommendations),
        "skipped": len(result.skipped),
        "oom_kills": len(result.ooms),
        "escalations": len(result.escalations()),
        "cpu_request_cores_now": round(cpu_now, 3),
        "cpu_request_cores_recommended": round(cpu_new, 3),
        "memory_request_bytes_now": int(memory_now),
        "memory_request_bytes_recommended": int(memory_new),
    }


def _window(result: RightsizeResult, days: float) -> dict[str, Any]:
    start, end = result.window_start, result.window_end
    return {
        "start": iso(int(start)) if start is not None else None,
        "end": iso(int(end)) if end is not None else None,
        "days": days,
    }


def _current(c: ContainerResources) -> dict[str, Any]:
    return {
        "cpu_request_cores": c.cpu_request_cores,
        "cpu_limit_cores": c.cpu_limit_cores,
        "memory_request_bytes": c.memory_request_bytes,
        "memory_limit_bytes": c.memory_limit_bytes,
    }


def _recommendation(r: Recommendation) -> dict[str, Any]:
    return {
        "namespace": r.namespace,
        "pod": r.pod,
        "container": r.container,
        "workload": str(r.workload),
        "container_kind": r.kind,
        "pods": list(r.pods),
        "cpu_request_cores": r.cpu_request_cores,
        "memory_request_bytes": r.memory_request_bytes,
        "memory_limit_bytes": r.memory_limit_bytes,
        "current": _current(r.current),
        "escalate": r.escalate,
        "reasons": list(r.reasons),
    }


def _skipped(s: Skipped) -> dict[str, Any]:
    return {
        "namespace": s.namespace,
        "pod": s.pod,
        "container": s.container,
        "workload": str(s.workload),
        "pods": list(s.pods),
        "reason": "; ".join(s.reasons),
    }


def _oom(o: OomRemediation) -> dict[str, Any]:
    return {
        "namespace": o.namespace,
        "pod": o.pod,
        "container": o.container,
        "node": o.node,
        "restart_count": o.restart_count,
        "used_bytes": o.used_bytes,
        "new_memory_bytes": o.new_memory_bytes,
        "capped_at_node": o.capped_at_node,
        "escalate": o.escalate,
        "reasons": list(o.reasons),
    }


def _change(now: float | None, new: float | None, fmt: Any) -> str:
    if new is None:
        return "as is"
    return f"{fmt(now) if now is not None else 'unset'} -> {fmt(new)}"


def _text(result: RightsizeResult, body: dict[str, Any]) -> str:
    window, totals = body["window"], body["summary"]
    lines = [
        f"Rightsizing by {result.strategy}, usage {window['start']} .. {window['end']} ({window['days']:g} days)",
        "",
    ]
    rows = [
        [
            r.namespace,
            str(r.workload),
            r.container + ("" if r.kind == "container" else f" ({r.kind})"),
            str(len(r.pods)),
            _change(r.current.cpu_request_cores, r.cpu_request_cores, fmt_cores),
            _change(r.current.memory_request_bytes, r.memory_request_bytes, fmt_bytes),
            "ESCALATE" if r.escalate else "",
        ]
        for r in result.recommendations
    ]
    lines += table(["namespace", "workload", "container", "pods", "CPU request", "memory request=limit", ""], rows)
    lines += [
        "",
        f"CPU requests {totals['cpu_request_cores_now']:g} -> {totals['cpu_request_cores_recommended']:g} cores, "
        f"memory {fmt_bytes(totals['memory_request_bytes_now'])} -> "
        f"{fmt_bytes(totals['memory_request_bytes_recommended'])} (recommended containers, all replicas)",
    ]
    if result.recommendations:
        first = result.recommendations[0]
        lines += ["", f"Why ({first.namespace}/{first.workload}/{first.container}):"]
        lines += [f"  - {reason}" for reason in first.reasons]
    if result.skipped:
        lines += ["", f"Skipped ({len(result.skipped)}):"]
        lines += [f"  {s.namespace}/{s.pod}/{s.container}: {'; '.join(s.reasons)}" for s in result.skipped]
    if result.ooms:
        lines += ["", f"OOM kills ({len(result.ooms)}):"]
        for o in result.ooms:
            action = "ESCALATE to a human" if o.escalate else f"memory -> {fmt_bytes(o.new_memory_bytes or 0)}"
            lines.append(f"  {o.namespace}/{o.pod}/{o.container}: {action}; {'; '.join(o.reasons)}")
    return "\n".join(lines)
