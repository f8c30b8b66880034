"""The sweep's inputs from what discovery stored: the snapshot read like a kubectl export (the same parsers as the
command line), the usage history as series, the shipped prices and Spot offerings, the hive mind's flags. Also the
one place the offline `cloudoptim analyze` and the Lambda turn loaded inputs into `SweepInputs`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudoptim.adapters.day_zero import DayZeroData
from cloudoptim.adapters.kube.cluster import loaded
from cloudoptim.adapters.kube.documents import objects_of
from cloudoptim.adapters.kube.workloads import inventory_of
from cloudoptim.adapters.node_prices import with_estimated_pools
from cloudoptim.interruptions.ports import HiveMind
from cloudoptim.optimization.ports import SnapshotStore
from engines.cluster.capacity import PriceBook
from engines.cluster.model import ClusterState
from engines.rightsizing.inventory import Inventory
from engines.rightsizing.usage import ContainerKey, UsageData, UsageSeries
from engines.spot.model import PoolKey
from engines.spot.offerings import Offerings, build_offerings
from engines.sweep.compose import SweepInputs
from engines.sweep.policy import SweepPolicy


def sweep_inputs(
    state: ClusterState,
    prices: PriceBook,
    inventory: Inventory,
    usage: UsageData,
    data: DayZeroData,
    policy: SweepPolicy,
    flagged: Mapping[PoolKey, str] | None = None,
) -> SweepInputs:
    """The Spot gates read at the newest shipped Spot price of the cluster's region (none: no pool passes)."""
    history = data.price_history(state.region)
    at = history.last_time() if history is not None else None
    if history is None or at is None:
        offerings, at = Offerings(()), 0
    else:
        offerings = build_offerings(history, data.catalog, data.on_demand, data.advisor, at)
    if policy.spot.estimated_pools:
        offerings = with_estimated_pools(offerings, prices, data.advisor)
    return SweepInputs(state, prices, inventory, usage, offerings, at, flagged_pools=dict(flagged or {}))


def usage_data(history: Mapping[str, Any] | None) -> UsageData:
    """The history's hourly peaks (cloudoptim.optimization.usage_history) as the rightsizing engine's series."""
    cpu: dict[ContainerKey, UsageSeries] = {}
    memory: dict[ContainerKey, UsageSeries] = {}
    for name, rows in ((history or {}).get("containers") or {}).items():
        namespace, pod, container = str(name).split("/", 2)
        key = ContainerKey(namespace, pod, container)
        cpu[key] = UsageSeries.from_samples([r[0] for r in rows], [r[1] for r in rows])
        memory[key] = UsageSeries.from_samples([r[0] for r in rows], [r[2] for r in rows])
    return UsageData(cpu, memory)


class StoredSweepInputs:
    """`SweepInputSource` (cloudoptim.optimization.sweep_plan)."""

    def __init__(self, snapshots: SnapshotStore, data: DayZeroData, policy: SweepPolicy | None = None) -> None:
        self._owners: frozenset[tuple[str, str, str]] = frozenset()
        self._snapshots = snapshots
        self._data = data
        self._policy = policy or SweepPolicy()

    def inputs(
        self, tenant: str, cluster: Mapping[str, Any], run: str, flagged: Mapping[PoolKey, str], now: int
    ) -> SweepInputs:
        name = str(cluster.get("name"))
        document = self._snapshots.get_snapshot(tenant, name, run)
        controllers = [
            i for i in document.get("items") or [] if i.get("kind") in ("Deployment", "StatefulSet", "DaemonSet")
        ]
        self._owners = frozenset(
            (
                str(i["kind"]),
                str((i.get("metadata") or {}).get("namespace")),
                str((i.get("metadata") or {}).get("name")),
            )
            for i in controllers
        )
        source = f"snapshot {run}"
        objects = objects_of([document], source)
        cluster_loaded = loaded(objects, self._data, cluster.get("region") or None, True, source)
        history, _ = self._snapshots.get_usage(tenant, name)
        return sweep_inputs(cluster_loaded.state, cluster_loaded.prices, inventory_of(objects, source),
                            usage_data(history), self._data, self._policy, flagged)  # fmt: skip

    def owners(self) -> frozenset[tuple[str, str, str]]:
        """(kind, namespace, name) of the workload controllers the last snapshot read held."""
        return self._owners


class HiveFlaggedPools:
    """`FlaggedPools`: the live flags of a region as Spot pools, by AZ ID and by the zone names the cluster uses."""

    def __init__(self, hive: HiveMind) -> None:
        self._hive = hive

    def flagged(self, region: str, zone_names: Mapping[str, str], now: int) -> Mapping[PoolKey, str]:
        found: dict[PoolKey, str] = {}
        for flag in self._hive.active_flags(region, now):
            why = f"flagged by the hive mind after an interruption (until {flag.expires_at})"
            found[PoolKey(flag.pool.instance_type, flag.pool.az_id)] = why
            name = zone_names.get(flag.pool.az_id)
            if name:
                found[PoolKey(flag.pool.instance_type, name)] = why
        return found
