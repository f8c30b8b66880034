"""`cloudoptim analyze` on a 1,000-node OpenB cluster with Bitbrains-derived usage: savings, their split, safety, time.

Cluster: benchmarks/traces/openb.py (1,000 nodes, seed 1, fill 0.55). Usage: benchmarks/traces/openb_usage.py (a
Bitbrains VM's used share of its size x each container's request, 14 days, seed 1). Prices and Spot gates: the
shipped Day-Zero data for eu-west-1, read at its newest Spot price; the default SweepPolicy. The sweep is the
function `cloudoptim analyze` calls after reading its files (cli.analyze.analyze); reading is timed apart.
Printed: cost before and after, savings %, the ledger split by capability, pods placed (every pod that ran before
runs on a live node after), containers whose memory request is below their observed peak, validator problems,
and seconds for loading, usage derivation and the sweep (one run, on this machine).
Run: .venv/bin/python benchmarks/analyze_openb.py [--nodes 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "layers")]

from benchmarks._shared import require, timed  # noqa: E402
from benchmarks.traces.bitbrains import JULY, load  # noqa: E402
from benchmarks.traces.openb import NODES_CSV, PODS_CSV, cluster_path  # noqa: E402
from benchmarks.traces.openb_usage import derive_usage  # noqa: E402
from cli.analyze import analyze  # noqa: E402
from cloudoptim.adapters.day_zero import load_day_zero  # noqa: E402
from cloudoptim.adapters.kube.cluster import LoadedCluster, load_cluster  # noqa: E402
from cloudoptim.adapters.kube.workloads import inventory_of  # noqa: E402
from engines.rightsizing.usage import ContainerKey  # noqa: E402
from engines.sweep.compose import SweepResult  # noqa: E402
from engines.sweep.policy import SweepPolicy  # noqa: E402
from engines.sweep.requests import real_peaks  # noqa: E402


def below_peak(result: SweepResult, peaks: Mapping[ContainerKey, int]) -> int:
    """Containers whose memory request after the sweep is below the largest memory sample they showed (samples the
    sanity checks refuse as impossible, e.g. more than the node has, are not a peak)."""
    return sum(
        1
        for r in result.requests
        if r.memory_request_bytes < peaks.get(ContainerKey(r.namespace, r.pod, r.container), 0)
    )


def unplaced(loaded: LoadedCluster, result: SweepResult) -> int:
    live = {n.name for n in result.nodes_after}
    ran = {p.key for p in loaded.state.pods if p.node is not None and p.is_active and not p.is_daemon}
    return sum(1 for key in ran if result.placements.get(key) not in live)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    require(NODES_CSV, PODS_CSV, JULY)
    data = load_day_zero()
    path = cluster_path(args.nodes, args.seed)
    loaded, load_s = timed(lambda: load_cluster(path, data))
    inventory = inventory_of(loaded.objects, str(path))
    usage, usage_s = timed(lambda: derive_usage(inventory, load(), seed=args.seed))
    result, sweep_s = timed(lambda: analyze(loaded.state, loaded.prices, inventory, usage, data, SweepPolicy()))
    ledger = result.ledger
    peaks = real_peaks(inventory, usage)
    refused = len(usage.memory) - len(peaks)
    pods = sum(1 for p in loaded.state.pods if p.node is not None and p.is_active and not p.is_daemon)
    print(f"cluster: {path.name}, {len(loaded.state.nodes)} nodes, {len(loaded.state.pods)} pods; {len(usage.cpu)} "
          f"containers with Bitbrains-derived usage")  # fmt: skip
    print(f"cost: ${ledger.cost_before_micro / 1e6:.2f}/h -> ${ledger.cost_after_micro / 1e6:.2f}/h, "
          f"savings {100 * ledger.savings_micro / ledger.cost_before_micro:.1f}% (goal >= 70%)")  # fmt: skip
    for capability, amount in ledger.by_capability().items():
        print(f"  {capability}: ${amount / 1e6:.2f}/h ({100 * amount / ledger.cost_before_micro:.1f}% of the cost)")
    spot = sum(1 for n in result.nodes_after if n.capacity_type == "spot")
    print(f"nodes after: {len(result.nodes_after)} ({spot} Spot); ledger problems: {ledger.problems() or 'none'}")
    print(f"pods placed: {pods - unplaced(loaded, result)} of {pods}; memory requests below the observed peak: "
          f"{below_peak(result, peaks)} ({refused} containers' memory usage refused as impossible, left as is); "
          f"validator problems: {len(result.problems)}")  # fmt: skip
    print(f"seconds: load {load_s:.1f}, usage derivation {usage_s:.1f}, sweep {sweep_s:.1f}")
    for reason in result.reasons[:3]:
        print(f"  {reason}")
    print(why_not_more(loaded, result))


def why_not_more(loaded: LoadedCluster, result: SweepResult) -> str:
    """Where the cost after goes: the consolidation lower bound (engines/consolidation/bound.py, On-Demand stays
    On-Demand) and the share of the cost after on GPU types that have no Spot price in the region's data."""
    before = result.ledger.cost_before_micro / 1e6
    bound = result.plan.lower_bound_cost_per_hour
    types = loaded.prices.instance_types
    zones = {n.zone for n in loaded.state.nodes}
    after_types = {n.instance_type for n in result.nodes_after}
    gpu_types = {t for t in after_types if t in types and types[t].gpus > 0}
    no_spot = {t for t in gpu_types if not any(loaded.prices.price(t, z, "spot") for z in zones)}
    stuck = sum(
        n.price_per_hour for n in result.nodes_after if n.instance_type in no_spot and n.capacity_type != "spot"
    )
    after = sum(n.price_per_hour for n in result.nodes_after)
    return (
        f"why not more: consolidation on the new requests cannot go below ${bound:.2f}/h "
        f"({100 * (1 - bound / before):.1f}% savings) under the bound's assumptions; ${stuck:.2f}/h "
        f"({100 * stuck / after:.1f}% of the cost after) is On-Demand GPU capacity of types with no Spot price in "
        f"{loaded.state.region} ({', '.join(sorted(no_spot)) or 'none'}), which only Spot could cut further"
    )


if __name__ == "__main__":
    main()
