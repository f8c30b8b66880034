"""A `Registry` (cloudoptim.interruptions.ports) that keeps the tenant and cluster records it read for a short while.

The Kubernetes steps of a workflow (node status, cordon, each eviction round) each resolve the same tenant and
cluster to reach its API server: three keyed reads per invocation, five to eight invocations per notice, all for
records that change when a customer edits a registration. Within one warm container they are kept TTL_SECONDS
(per tenant id, and per tenant and cluster: never one tenant's record for another), so an edited endpoint or role
reaches the steps within that time; a read that fails caches nothing. Instance reads and writes are never cached.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from cloudoptim.interruptions.ports import ClusterRecord, NodeRecord, Registry, TenantRecord

TTL_SECONDS = 60.0


class RecentRegistry:
    def __init__(self, registry: Registry, clock: Callable[[], float] = time.monotonic, ttl: float = TTL_SECONDS):
        self._registry = registry
        self._clock = clock
        self._ttl = ttl
        self._kept: dict[tuple[str, ...], tuple[Any, float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, ...], read: Callable[[], Any]) -> Any:
        now = self._clock()
        with self._lock:
            found = self._kept.get(key)
        if found is not None and now < found[1]:
            return found[0]
        value = read()  # raises: nothing kept
        with self._lock:
            self._kept[key] = (value, now + self._ttl)
        return value

    def tenant(self, tenant_id: str) -> TenantRecord:
        found: TenantRecord = self._recent(("tenant", tenant_id), lambda: self._registry.tenant(tenant_id))
        return found

    def cluster(self, tenant_id: str, cluster: str) -> ClusterRecord:
        found: ClusterRecord = self._recent(
            ("cluster", tenant_id, cluster), lambda: self._registry.cluster(tenant_id, cluster)
        )
        return found

    def node_for_instance(self, instance_id: str) -> NodeRecord | None:
        return self._registry.node_for_instance(instance_id)

    def register_node(self, node: NodeRecord) -> None:
        self._registry.register_node(node)

    def tenant_for_account(self, account_id: str) -> str | None:
        return self._registry.tenant_for_account(account_id)
