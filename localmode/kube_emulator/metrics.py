"""`metrics.k8s.io/v1beta1` PodMetrics, as metrics-server answers, from trace-derived usage.

Usage shapes come from the Bitbrains VM trace (localmode/data/local-usage.json, built by
scripts/build_local_usage.py): a workload gets one VM's week of hourly CPU and memory fractions, and a container's
usage is its request times the fraction of the hour the clock is in. The clock is the emulator's usage clock
(`UsageModel.clock`), which local mode can move on to sample a week in seconds.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cloudoptim.adapters.kube.quantity import parse_quantity
from localmode.kube_emulator.objects import Obj
from localmode.kube_emulator.server import Query, _list, route
from localmode.kube_emulator.store import ClusterStore

USAGE_PROFILES = Path(__file__).resolve().parents[1] / "data" / "local-usage.json"
IDLE_CPU_CORES = 0.005  # a container without a CPU request still runs something (metrics-server never says 0)
IDLE_MEMORY_BYTES = 8 * 2**20


@dataclass
class UsageModel:
    profiles: list[dict[str, Any]]
    clock: Callable[[], float] = time.time
    hours: int = 168
    overrides: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)  # (ns, pod) -> usage

    @classmethod
    def shipped(cls, clock: Callable[[], float] = time.time) -> UsageModel:
        document = json.loads(USAGE_PROFILES.read_text())
        return cls(list(document["profiles"]), clock, int(document["hours"]))

    def fractions(self, workload: str, at: float) -> tuple[float, float]:
        profile = self.profiles[zlib.crc32(workload.encode()) % len(self.profiles)]
        hour = int(at // 3600) % self.hours
        return profile["cpu_permille"][hour] / 1000, profile["memory_permille"][hour] / 1000

    def pod_metrics(self, pod: Obj, at: float) -> Obj:
        meta = pod["metadata"]
        namespace, name = str(meta.get("namespace", "default")), str(meta["name"])
        cpu_fraction, memory_fraction = self.fractions(f"{namespace}/{workload_of(pod)}", at)
        containers = []
        for container in pod["spec"].get("containers") or []:
            requests = (container.get("resources") or {}).get("requests") or {}
            cores = float(parse_quantity(requests.get("cpu", "0"), "cpu"))
            memory = int(parse_quantity(requests.get("memory", "0"), "memory"))
            used_cpu, used_memory = self.overrides.get((namespace, name), (0.0, 0))
            if not used_cpu:
                used_cpu = max(cores * cpu_fraction, IDLE_CPU_CORES)
                used_memory = max(int(memory * memory_fraction), IDLE_MEMORY_BYTES)
            containers.append({"name": container["name"], "usage": {
                "cpu": f"{int(Decimal(used_cpu) * 10**9)}n", "memory": f"{used_memory // 1024}Ki"}})  # fmt: skip
        stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"metadata": {"name": name, "namespace": namespace, "labels": meta.get("labels") or {}},
                "timestamp": stamp, "window": "30s", "containers": containers}  # fmt: skip


def workload_of(pod: Obj) -> str:
    """The owning workload's name: a ReplicaSet's Deployment (its name less the template hash), or the owner."""
    owners = pod["metadata"].get("ownerReferences") or []
    if not owners:
        return str(pod["metadata"]["name"])
    owner = owners[0]
    name = str(owner.get("name", ""))
    return name.rsplit("-", 1)[0] if owner.get("kind") == "ReplicaSet" and "-" in name else name


@route("GET", r"/apis/metrics\.k8s\.io/v1beta1(?:/namespaces/(?P<namespace>[^/]+))?/pods")
def _pod_metrics(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    model: UsageModel | None = store.usage
    if model is None:
        model = store.usage = UsageModel.shipped()
    at = model.clock()
    pods = store.list_pods(path.get("namespace"), query.get("labelSelector"), None)
    running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running" and p["spec"].get("nodeName")]
    return 200, _list("PodMetricsList", "metrics.k8s.io/v1beta1", [model.pod_metrics(p, at) for p in running], query)
