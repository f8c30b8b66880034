"""Rightsizing on Bitbrains July 2013: recommend from the first 14 days, score on the remaining 16.

Goal (E3): cloudoptim reduces at least as much as krr-simple (combined CPU + memory) with at most half of its
memory-overrun samples. Every strategy goes through the same pipeline and policy (minimum data, floors); a VM
without enough data in the first 14 days is left out of the scores for all of them.

Per strategy, over the scored VMs (current = provisioned cores and memory at the cut):
- CPU / memory reduction % = 1 - sum(recommended) / sum(current);
- combined reduction % = the same on cost: $/vCPU-h and $/GiB-h from the shipped us-east-1 On-Demand prices of
  m5.large (2 vCPU, 8 GiB) and r5.large (2 vCPU, 16 GiB), which differ only in 8 GiB: GiB-h = (r5 - m5) / 8,
  vCPU-h = (m5 - 8 GiB-h) / 2. The plain mean of the two percentages is shown too;
- CPU overruns % = held-out CPU samples above the CPU request; memory overruns = held-out memory samples above the
  memory request (= limit: each one an OOM kill), as a count and a share.
Two scorings: "all" uses every held-out sample; "unresized" stops a VM's samples where its owner resized it
(cores changed, or provisioned memory moved more than 10% from the value at the cut): from then on the VM runs a
configuration no strategy was asked about, and its guest grows into the new memory.
Run: .venv/bin/python benchmarks/rightsizing.py [--train-days 14] [--out benchmarks/results/rightsizing.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "layers")]

from benchmarks._shared import ROOT, require  # noqa: E402
from benchmarks.traces.bitbrains import DAY, JULY, BitbrainsTrace, VmTrace, load  # noqa: E402
from cloudoptim.adapters.day_zero import ON_DEMAND_FILE, shipped_data_dir  # noqa: E402
from cloudoptim.adapters.reference_data import load_on_demand  # noqa: E402
from engines.rightsizing.policy import RightsizePolicy  # noqa: E402
from engines.rightsizing.recommend import rightsize  # noqa: E402
from engines.rightsizing.registry import get_strategy  # noqa: E402

STRATEGIES = ("cloudoptim", "krr-simple", "vpa-target")
RESIZE_TOLERANCE = 0.10
GIB = float(2**30)


@dataclass(frozen=True)
class HeldOut:
    """One scored VM: its size at the cut and its held-out samples (with the index where a resize cuts them)."""

    pod: str
    cores: float
    memory: float
    cpu: np.ndarray
    memory_used: np.ndarray
    cpu_valid: int
    memory_valid: int


def unit_prices() -> tuple[float, float]:
    """($ per vCPU-hour, $ per GiB-hour) from us-east-1 m5.large and r5.large On-Demand."""
    prices = load_on_demand(shipped_data_dir() / ON_DEMAND_FILE)
    m5, r5 = prices.get("us-east-1", "m5.large"), prices.get("us-east-1", "r5.large")
    assert m5 is not None and r5 is not None
    per_gib = (r5 - m5) / 8
    return (m5 - 8 * per_gib) / 2, per_gib


def _held_out(vm: VmTrace, cut: float) -> HeldOut:
    cores, memory = vm.current_before(cut)
    after = vm.timestamps >= cut
    resized = (vm.cores != cores) | (np.abs(vm.provisioned_memory_bytes - memory) > RESIZE_TOLERANCE * memory)
    stop = float(vm.timestamps[after & resized][0]) if np.any(after & resized) else np.inf
    ts, cpu = vm.timestamps[after], vm.cpu_cores[after]
    reported = after & (vm.memory_bytes > 0)
    mts, mem = vm.timestamps[reported], vm.memory_bytes[reported]
    return HeldOut(
        vm.pod,
        cores,
        memory,
        cpu,
        mem,
        int(np.searchsorted(ts, stop, side="left")),
        int(np.searchsorted(mts, stop, side="left")),
    )


def evaluate(
    trace: BitbrainsTrace, train_days: float = 14.0, strategies: tuple[str, ...] = STRATEGIES
) -> dict[str, Any]:
    """Recommend from [start, start + train_days), score on the rest; one row per strategy and scoring."""
    cut = trace.start + train_days * DAY
    usage, inventory = trace.engine_inputs(trace.start, cut)
    policy = RightsizePolicy(window_days=train_days)
    held = {vm.pod: _held_out(vm, cut) for vm in trace.vms}
    recommended: dict[str, dict[str, tuple[float, float]]] = {}
    seconds: dict[str, float] = {}
    for name in strategies:
        began = time.perf_counter()
        result = rightsize(usage, inventory, policy, get_strategy(name), end=cut)
        seconds[name] = time.perf_counter() - began
        recommended[name] = {
            r.pod: (r.cpu_request_cores, float(r.memory_request_bytes))
            for r in result.recommendations
            if r.cpu_request_cores is not None and r.memory_request_bytes is not None
        }
    scored = sorted(set.intersection(*(set(r) for r in recommended.values())))
    cpu_price, gib_price = unit_prices()
    rows = {
        scoring: {
            name: _score(
                [held[p] for p in scored], [recommended[name][p] for p in scored], scoring, cpu_price, gib_price
            )
            for name in strategies
        }
        for scoring in ("all", "unresized")
    }
    for name in strategies:
        for scoring in rows:
            rows[scoring][name]["recommend_seconds"] = round(seconds[name], 3)
    return {
        "trace": JULY.name,
        "train_days": train_days,
        "vms": len(trace.vms),
        "scored_vms": len(scored),
        "left_out_vms": len(trace.vms) - len(scored),
        "resized_vms": sum(1 for p in scored if held[p].cpu_valid < len(held[p].cpu)),
        "prices": {"usd_per_vcpu_hour": round(cpu_price, 6), "usd_per_gib_hour": round(gib_price, 6)},
        "scores": rows,
        "ratios": {scoring: _ratios(rows[scoring]) for scoring in rows},
    }


def _score(
    held: list[HeldOut], recs: list[tuple[float, float]], scoring: str, cpu_price: float, gib_price: float
) -> dict[str, Any]:
    current_cpu = sum(h.cores for h in held)
    current_memory = sum(h.memory for h in held)
    new_cpu = sum(cpu for cpu, _ in recs)
    new_memory = sum(memory for _, memory in recs)
    cpu_over = cpu_n = memory_over = memory_n = 0
    for h, (cpu, memory) in zip(held, recs, strict=True):
        used_cpu = h.cpu if scoring == "all" else h.cpu[: h.cpu_valid]
        used_memory = h.memory_used if scoring == "all" else h.memory_used[: h.memory_valid]
        cpu_over += int(np.count_nonzero(used_cpu > cpu))
        memory_over += int(np.count_nonzero(used_memory > memory))
        cpu_n, memory_n = cpu_n + len(used_cpu), memory_n + len(used_memory)
    cost_now = current_cpu * cpu_price + current_memory / GIB * gib_price
    cost_new = new_cpu * cpu_price + new_memory / GIB * gib_price
    cpu_pct, memory_pct = 100 * (1 - new_cpu / current_cpu), 100 * (1 - new_memory / current_memory)
    return {
        "cpu_reduction_pct": round(cpu_pct, 3),
        "memory_reduction_pct": round(memory_pct, 3),
        "combined_cost_reduction_pct": round(100 * (1 - cost_new / cost_now), 3),
        "mean_reduction_pct": round((cpu_pct + memory_pct) / 2, 3),
        "cpu_overrun_pct": round(100 * cpu_over / max(cpu_n, 1), 4),
        "memory_overrun_samples": memory_over,
        "memory_overrun_pct": round(100 * memory_over / max(memory_n, 1), 4),
        "cpu_samples": cpu_n,
        "memory_samples": memory_n,
        "cores_now": round(current_cpu, 2),
        "cores_recommended": round(new_cpu, 2),
        "memory_gib_now": round(current_memory / GIB, 2),
        "memory_gib_recommended": round(new_memory / GIB, 2),
    }


def _ratios(rows: dict[str, dict[str, Any]]) -> dict[str, float]:
    ours, krr = rows.get("cloudoptim"), rows.get("krr-simple")
    if ours is None or krr is None:
        return {}
    return {
        "combined_cost_reduction": round(ours["combined_cost_reduction_pct"] / krr["combined_cost_reduction_pct"], 4),
        "mean_reduction": round(ours["mean_reduction_pct"] / krr["mean_reduction_pct"], 4),
        "memory_overrun_samples": round(ours["memory_overrun_samples"] / max(krr["memory_overrun_samples"], 1), 4),
        "cpu_overrun_share": round(ours["cpu_overrun_pct"] / max(krr["cpu_overrun_pct"], 1e-9), 4),
    }


def render(report: dict[str, Any]) -> str:
    lines = [
        f"Bitbrains {report['trace']}: recommend from the first {report['train_days']:g} days, score on the rest; "
        f"{report['scored_vms']} of {report['vms']} VMs scored ({report['left_out_vms']} without enough data), "
        f"{report['resized_vms']} resized by their owner after the cut",
        f"prices: ${report['prices']['usd_per_vcpu_hour']}/vCPU-h, ${report['prices']['usd_per_gib_hour']}/GiB-h "
        "(us-east-1 m5.large / r5.large On-Demand)",
    ]
    header = f"{'strategy':12} {'CPU red %':>9} {'mem red %':>9} {'cost red %':>10} {'mean %':>7} "
    header += f"{'CPU over %':>10} {'mem over':>8} {'mem over %':>10} {'s':>5}"
    for scoring, rows in report["scores"].items():
        lines += ["", f"scoring: {scoring} held-out samples", header, "-" * len(header)]
        for name, r in rows.items():
            lines.append(
                f"{name:12} {r['cpu_reduction_pct']:9.2f} {r['memory_reduction_pct']:9.2f} "
                f"{r['combined_cost_reduction_pct']:10.2f} {r['mean_reduction_pct']:7.2f} {r['cpu_overrun_pct']:10.3f} "
                f"{r['memory_overrun_samples']:8d} {r['memory_overrun_pct']:10.4f} {r['recommend_seconds']:5.2f}"
            )
        ratios = report["ratios"][scoring]
        lines.append(
            f"cloudoptim / krr-simple: cost reduction x{ratios['combined_cost_reduction']:.3f}, mean reduction "
            f"x{ratios['mean_reduction']:.3f}, memory overruns x{ratios['memory_overrun_samples']:.3f}, CPU overruns "
            f"x{ratios['cpu_overrun_share']:.3f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-days", type=float, default=14.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "rightsizing_bitbrains_july.json")
    args = parser.parse_args()
    require(JULY)
    began = time.perf_counter()
    trace = load()
    loaded = time.perf_counter() - began
    report = evaluate(trace, args.train_days)
    print(render(report))
    print(f"\nload {loaded:.1f} s, total {time.perf_counter() - began:.1f} s; JSON in {args.out}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
