"""Bitbrains GWA-T-12 "Rnd" VM trace (../shared/data PROVENANCE 4d) as rightsizing inputs.

One VM is one pod `vm-<id>` (namespace `bitbrains`, container `vm`) whose current request and limit are the
VM's provisioned cores and memory. Per 5-minute row: cores used = CPU usage MHz / (capacity MHz / cores); memory
used = usage KB x 1024. Cleaning, the same for every strategy: rows with no provisioned CPU or memory (cores,
capacity or provisioned memory 0: the VM is off) are dropped; a memory usage of 0 is not a sample (no working
set was reported); a repeated timestamp keeps its first row.

Run: .venv/bin/python -m benchmarks.traces.bitbrains --out DIR [--days 14] [--vms 20]
     writes cpu.json and memory.json (Prometheus query_range matrices) and workloads.json (a Kubernetes List)
     for `cloudoptim rightsize`. The parsed month is cached in benchmarks/results/ as .npz (~1 s to reload).
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._shared import ROOT, SHARED, require
from engines.rightsizing.inventory import ContainerResources, Inventory, Pod, PodContainer, WorkloadRef
from engines.rightsizing.usage import ContainerKey, FloatArray, UsageData, UsageSeries

JULY = SHARED / "workload-traces" / "bitbrains-rnd-2013" / "bitbrains_rnd_2013-7.tar.xz"
CACHE_DIR = ROOT / "benchmarks" / "results"
NAMESPACE, CONTAINER = "bitbrains", "vm"
DAY = 86400.0
# timestamp; cores; capacity MHz; usage MHz; usage %; memory provisioned KB; memory usage KB; disk r/w; net rx/tx
COLUMNS = 11
_KEEP = [0, 1, 2, 3, 5, 6]
_CACHED = ("timestamps", "cores", "cpu_cores", "memory_bytes", "provisioned_memory_bytes")


@dataclass(frozen=True, eq=False)
class VmTrace:
    """One VM's cleaned rows, ascending in time."""

    vm: str
    timestamps: FloatArray
    cores: FloatArray
    cpu_cores: FloatArray
    memory_bytes: FloatArray
    provisioned_memory_bytes: FloatArray

    @property
    def pod(self) -> str:
        return f"vm-{self.vm}"

    def current_before(self, t: float) -> tuple[float, float]:
        """Provisioned (cores, memory bytes) of the last row before t (the first row if none)."""
        i = max(int(np.searchsorted(self.timestamps, t, side="left")) - 1, 0)
        return float(self.cores[i]), float(self.provisioned_memory_bytes[i])

    def cpu_series(self, start: float, end: float) -> UsageSeries:
        return UsageSeries(self.timestamps, self.cpu_cores).between(start, end)

    def memory_series(self, start: float, end: float) -> UsageSeries:
        reported = self.memory_bytes > 0
        return UsageSeries(self.timestamps[reported], self.memory_bytes[reported]).between(start, end)


@dataclass(frozen=True)
class BitbrainsTrace:
    vms: tuple[VmTrace, ...]

    @property
    def start(self) -> float:
        return min(float(v.timestamps[0]) for v in self.vms if len(v.timestamps))

    @property
    def end(self) -> float:
        return max(float(v.timestamps[-1]) for v in self.vms if len(v.timestamps))

    def engine_inputs(self, start: float, end: float) -> tuple[UsageData, Inventory]:
        """Usage in [start, end) and one pod per VM with the provisioned size at `end` as requests = limits."""
        cpu, memory, pods = {}, {}, []
        last = np.nextafter(end, -np.inf)
        for vm in self.vms:
            key = ContainerKey(NAMESPACE, vm.pod, CONTAINER)
            cpu[key], memory[key] = vm.cpu_series(start, last), vm.memory_series(start, last)
            cores, memory_bytes = vm.current_before(end)
            current = ContainerResources(cores, cores, int(memory_bytes), int(memory_bytes))
            container = PodContainer(CONTAINER, "container", current)
            pods.append(Pod(NAMESPACE, vm.pod, WorkloadRef("Pod", vm.pod), (container,)))
        return UsageData(cpu, memory), Inventory(tuple(pods))


def load(path: Path = JULY, cache_dir: Path = CACHE_DIR) -> BitbrainsTrace:
    """The month's VMs, parsed once, then read from the .npz cache (keyed by the archive's name and size)."""
    cache = cache_dir / f"{path.name.split('.')[0]}_{path.stat().st_size}.npz"
    if not cache.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        vms = [_vm(vm, rows) for vm, rows in zip(*_parse(path), strict=True)]
        columns = {name: np.concatenate([getattr(v, name) for v in vms]) for name in _CACHED}
        columns["ids"] = np.array([v.vm for v in vms])
        columns["offsets"] = np.cumsum([0] + [len(v.timestamps) for v in vms])
        partial = cache.with_suffix(".partial.npz")  # renamed when complete: an interrupted run leaves no cache
        np.savez(partial, allow_pickle=False, **columns)
        partial.replace(cache)
    with np.load(cache) as archive:
        ids, offsets = list(archive["ids"]), archive["offsets"]
        columns = {name: archive[name] for name in _CACHED}
    return BitbrainsTrace(
        tuple(
            VmTrace(str(vm), *(columns[name][offsets[i] : offsets[i + 1]] for name in _CACHED))
            for i, vm in enumerate(ids)
        )
    )


def _parse(path: Path) -> tuple[list[str], list[FloatArray]]:
    ids, rows = [], []
    with tarfile.open(path, "r|xz") as archive:  # streamed: the month is 0.45 GB of text
        for member in archive:
            if not member.isfile() or not member.name.endswith(".csv"):
                continue
            handle = archive.extractfile(member)
            assert handle is not None
            raw = handle.read()
            body = raw[raw.index(b"\n") + 1 :].replace(b";", b" ").decode("ascii")
            numbers = np.fromstring(body, sep=" ")
            if numbers.size % COLUMNS:
                raise ValueError(f"{path}:{member.name}: {numbers.size} numbers is not a whole number of rows")
            ids.append(Path(member.name).stem)
            rows.append(numbers.reshape(-1, COLUMNS)[:, _KEEP])
    order = sorted(range(len(ids)), key=lambda i: int(ids[i]) if ids[i].isdigit() else ids[i])
    return [ids[i] for i in order], [rows[i] for i in order]


def _vm(vm: str, rows: FloatArray) -> VmTrace:
    ts, cores, capacity, used_mhz, memory_kb, used_kb = rows.T
    on = (cores > 0) & (capacity > 0) & (memory_kb > 0)
    ts, cores, capacity, used_mhz, memory_kb, used_kb = (
        c[on] for c in (ts, cores, capacity, used_mhz, memory_kb, used_kb)
    )
    order = np.argsort(ts, kind="stable")
    first = np.ones(len(ts), dtype=bool)
    first[1:] = ts[order][1:] != ts[order][:-1]
    keep = order[first]
    return VmTrace(
        vm=vm,
        timestamps=ts[keep],
        cores=cores[keep],
        cpu_cores=np.maximum(used_mhz[keep] / (capacity[keep] / cores[keep]), 0.0),
        memory_bytes=np.maximum(used_kb[keep] * 1024.0, 0.0),
        provisioned_memory_bytes=memory_kb[keep] * 1024.0,
    )


def write_prometheus(trace: BitbrainsTrace, out: Path, start: float, end: float, vms: int | None = None) -> list[Path]:
    """cpu.json, memory.json and workloads.json for `cloudoptim rightsize`, from usage in [start, end)."""
    chosen = trace.vms[:vms] if vms else trace.vms
    usage, inventory = BitbrainsTrace(chosen).engine_inputs(start, end)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "cpu.json", out / "memory.json", out / "workloads.json"]
    _write_matrix(paths[0], usage.cpu)
    _write_matrix(paths[1], usage.memory)
    paths[2].write_text(json.dumps(_pod_list(inventory), indent=1))
    return paths


def _write_matrix(path: Path, series: Mapping[ContainerKey, UsageSeries]) -> None:
    """Values as Prometheus writes them (strings), at full precision so the CLI sees what the engine sees."""
    buffer = io.StringIO()
    buffer.write('{"status":"success","data":{"resultType":"matrix","result":[')
    for i, (key, s) in enumerate(sorted(series.items())):
        labels = json.dumps({"namespace": key.namespace, "pod": key.pod, "container": key.container})
        values = ",".join(f'[{t:.0f},"{v!r}"]' for t, v in zip(s.timestamps.tolist(), s.values.tolist(), strict=True))
        buffer.write(("," if i else "") + f'{{"metric":{labels},"values":[{values}]}}')
    buffer.write("]}}")
    path.write_text(buffer.getvalue())


def _pod_list(inventory: Inventory) -> dict[str, Any]:
    items = []
    for pod in inventory.pods:
        c = pod.containers[0].resources
        size = {"cpu": f"{c.cpu_request_cores:g}", "memory": str(c.memory_request_bytes)}
        container = {"name": CONTAINER, "resources": {"requests": size, "limits": size}}
        metadata = {"name": pod.name, "namespace": pod.namespace}
        items.append({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": {"containers": [container]}})
    return {"apiVersion": "v1", "kind": "List", "items": items}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--days", type=float, default=14.0, help="days of usage from the start of the month")
    parser.add_argument("--vms", type=int, help="only the first N VMs (by id)")
    args = parser.parse_args()
    require(JULY)
    trace = load()
    paths = write_prometheus(trace, args.out, trace.start, trace.start + args.days * DAY, args.vms)
    print("wrote " + ", ".join(f"{p} ({p.stat().st_size / 1e6:.1f} MB)" for p in paths))


if __name__ == "__main__":
    main()
