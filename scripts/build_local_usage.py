"""Build localmode/data/local-usage.json: the usage profiles local mode's `metrics.k8s.io` serves.

    .venv/bin/python scripts/build_local_usage.py [--out localmode/data/local-usage.json] [--check]

Source: the Bitbrains GWA-T-12 "Rnd" VM trace (../shared/data PROVENANCE 4d) through benchmarks/traces/bitbrains.py.
Derivation, deterministic: the VMs with a full first week (a row in each of its 168 hours, memory reported), in
trace order, the first PROFILES of them; per VM and hour of that week the mean CPU used / provisioned cores and the
mean memory used / provisioned memory, in permille (0-1000, capped). The emulator gives a workload the profile
`crc32(namespace/owner) % PROFILES` and a container usage = its request x the hour's fraction, so the pods of one
workload share a shape (as replicas do) and the week repeats.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers")]

from benchmarks._shared import require  # noqa: E402
from benchmarks.traces.bitbrains import JULY, load  # noqa: E402

OUT = ROOT / "localmode" / "data" / "local-usage.json"
PROFILES = 32
HOURS = 168


def build() -> dict[str, object]:
    trace = load(JULY)
    start = trace.start
    profiles: list[dict[str, object]] = []
    for vm in trace.vms:
        hour = ((vm.timestamps - start) // 3600).astype(int)
        week = hour < HOURS
        reported = week & (vm.memory_bytes > 0) & (vm.cores > 0) & (vm.provisioned_memory_bytes > 0)
        if len(np.unique(hour[reported])) < HOURS:
            continue
        cpu = np.zeros(HOURS)
        memory = np.zeros(HOURS)
        for h in range(HOURS):
            rows = reported & (hour == h)
            cpu[h] = np.mean(vm.cpu_cores[rows] / vm.cores[rows])
            memory[h] = np.mean(vm.memory_bytes[rows] / vm.provisioned_memory_bytes[rows])
        profiles.append({
            "vm": vm.vm,
            "cpu_permille": [int(min(round(v * 1000), 1000)) for v in cpu],
            "memory_permille": [int(min(round(v * 1000), 1000)) for v in memory],
        })  # fmt: skip
        if len(profiles) == PROFILES:
            break
    return {"source": "bitbrains-rnd-2013 July, first week", "hours": HOURS, "start": start, "profiles": profiles}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="fail if the shipped file differs from a rebuild")
    args = parser.parse_args()
    require(JULY)
    text = json.dumps(build(), sort_keys=True, separators=(",", ":")) + "\n"
    if args.check:
        same = args.out.read_text() == text
        print("up to date" if same else f"{args.out} differs from a rebuild")
        sys.exit(0 if same else 1)
    args.out.write_text(text)
    print(f"wrote {args.out} ({len(text):,} bytes)")


if __name__ == "__main__":
    main()
