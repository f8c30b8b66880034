"""Bitbrains-derived usage for an OpenB cluster's pods: the shape of real VM load, scaled to each container.

OpenB has requests but no usage; Bitbrains (PROVENANCE 4d) has usage of VMs of a provisioned size. Mapping:
- every container of every non-DaemonSet pod takes one VM, drawn uniformly with a numpy generator seeded with
  `seed` among the VMs with at least `min_days` of samples in the window (so the rightsizing has enough data);
  replicas draw independently, as VMs of one Bitbrains customer differ;
- CPU used (cores) = the VM's used share of its provisioned cores x the container's CPU request;
  memory used (bytes) = the VM's used share of its provisioned memory x the container's memory request;
  both per 5-minute sample, unclipped (a share above 1 is a container using more than it requests, as VMs do);
- the window is the first `days` of July 2013; DaemonSet pods get no usage (rightsizing leaves them as they are).
"""

from __future__ import annotations

import numpy as np

from benchmarks.traces.bitbrains import DAY, BitbrainsTrace, VmTrace
from engines.rightsizing.inventory import Inventory
from engines.rightsizing.usage import ContainerKey, UsageData, UsageSeries


def derive_usage(inventory: Inventory, trace: BitbrainsTrace, days: float = 14.0, seed: int = 1) -> UsageData:
    start = trace.start
    end = start + days * DAY
    vms = [v for v in trace.vms if _covers(v, start, end, min_days=min(days, 7.0))]
    rng = np.random.default_rng(seed)
    cpu: dict[ContainerKey, UsageSeries] = {}
    memory: dict[ContainerKey, UsageSeries] = {}
    for pod in inventory.pods:
        if pod.owner.kind == "DaemonSet":
            continue
        for container in pod.containers:
            vm = vms[int(rng.integers(len(vms)))]
            key = ContainerKey(pod.namespace, pod.name, container.name)
            r = container.resources
            cores = r.cpu_request_cores if r.cpu_request_cores is not None else r.cpu_limit_cores
            size = r.memory_request_bytes if r.memory_request_bytes is not None else r.memory_limit_bytes
            window = (vm.timestamps >= start) & (vm.timestamps < end)
            ts = vm.timestamps[window]
            cpu[key] = UsageSeries(ts, vm.cpu_cores[window] / vm.cores[window] * (cores or 0.0))
            reported = window & (vm.memory_bytes > 0)
            share = vm.memory_bytes[reported] / vm.provisioned_memory_bytes[reported]
            memory[key] = UsageSeries(vm.timestamps[reported], share * float(size or 0))
    return UsageData(cpu, memory)


def _covers(vm: VmTrace, start: float, end: float, min_days: float) -> bool:
    inside = vm.timestamps[(vm.timestamps >= start) & (vm.timestamps < end)]
    return len(inside) >= 100 and float(inside[-1] - inside[0]) >= min_days * DAY
