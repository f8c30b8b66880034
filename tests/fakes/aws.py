"""In-memory fakes of the interruption pipeline's AWS ports (cloudoptim.interruptions.ports).

Each records what happened so tests assert outcomes, and `fail(operation, error, times)` makes the next
calls of an operation raise:

>>> hive = FakeHiveMind()
>>> hive.fail("flag", RuntimeError("boom"))
>>> try:
...     hive.flag(new_flag(HivePool("eu-west-1", "euw1-az1", "m5.large"), "t1", 0), "e1", "interruption")
... except RuntimeError:
...     print("injected")
injected
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from cloudoptim.errors import RecordNotFoundError
from cloudoptim.interruptions.execution import iso
from cloudoptim.interruptions.ports import (
    AuditEntry,
    ClusterRecord,
    Launched,
    LaunchSpec,
    NodeRecord,
    TenantRecord,
)
from engines.interruption.hive import Flag, HivePool, active_flags, new_flag
from tests.fakes.kube import FakeKube

__all__ = [
    "FakeAudit",
    "FakeCloud",
    "FakeExecutions",
    "FakeHiveMind",
    "FakeIdempotency",
    "FakeKubeConnector",
    "FakeLauncher",
    "FakePoolLocator",
    "FakeRegistry",
    "new_flag",
]


@dataclass
class _Faulty:
    _errors: dict[str, list[Exception]] = field(default_factory=dict, kw_only=True)

    def fail(self, operation: str, error: Exception, times: int = 1) -> None:
        if not callable(getattr(self, operation, None)):
            raise ValueError(f"{type(self).__name__} has no operation {operation!r}")
        self._errors.setdefault(operation, []).extend([error] * times)

    def _check(self, operation: str) -> None:
        pending = self._errors.get(operation)
        if pending:
            raise pending.pop(0)


@dataclass
class FakeRegistry(_Faulty):
    nodes: dict[str, NodeRecord] = field(default_factory=dict)
    tenants: dict[str, TenantRecord] = field(default_factory=dict)
    clusters: dict[tuple[str, str], ClusterRecord] = field(default_factory=dict)

    def add_node(self, node: NodeRecord) -> None:
        self.nodes[node.instance_id] = node

    def add_tenant(self, tenant: TenantRecord) -> None:
        self.tenants[tenant.tenant_id] = tenant

    def add_cluster(self, cluster: ClusterRecord) -> None:
        self.clusters[(cluster.tenant_id, cluster.cluster)] = cluster

    def node_for_instance(self, instance_id: str) -> NodeRecord | None:
        self._check("node_for_instance")
        return self.nodes.get(instance_id)

    def register_node(self, node: NodeRecord) -> None:
        self._check("register_node")
        self.nodes[node.instance_id] = node

    def tenant(self, tenant_id: str) -> TenantRecord:
        self._check("tenant")
        if tenant_id not in self.tenants:
            raise RecordNotFoundError(f"tenant {tenant_id!r} is not registered")
        return self.tenants[tenant_id]

    def cluster(self, tenant_id: str, cluster: str) -> ClusterRecord:
        self._check("cluster")
        if (tenant_id, cluster) not in self.clusters:
            raise RecordNotFoundError(f"cluster {cluster!r} of tenant {tenant_id!r} is not registered")
        return self.clusters[(tenant_id, cluster)]


@dataclass
class FakeHiveMind(_Faulty):
    """Keeps expired items like DynamoDB does (TTL deletes lazily); readers filter them."""

    items: dict[tuple[str, str], Flag] = field(default_factory=dict)
    writes: list[tuple[Flag, str, str]] = field(default_factory=list)

    def flag(self, flag: Flag, event_id: str, kind: str) -> None:
        self._check("flag")
        self.items[(flag.pool.key, flag.tenant_id)] = flag
        self.writes.append((flag, event_id, kind))

    def flags_for_pool(self, pool: HivePool, now: int) -> Sequence[Flag]:
        self._check("flags_for_pool")
        return active_flags((f for f in self.items.values() if f.pool == pool), now)

    def active_flags(self, region: str, now: int) -> Sequence[Flag]:
        self._check("active_flags")
        return active_flags((f for f in self.items.values() if f.pool.region == region), now)


@dataclass
class FakeAudit(_Faulty):
    items: dict[str, AuditEntry] = field(default_factory=dict)

    def record(self, entry: AuditEntry) -> str:
        self._check("record")
        key = f"TENANT#{entry.tenant_id}#CLUSTER#{entry.cluster}/{iso(entry.at)}#{entry.execution}"
        self.items.setdefault(key, entry)  # append-only: a retried record keeps the first item
        return key


@dataclass
class FakeIdempotency(_Faulty):
    claims: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (status, expiration)

    def claim(self, key: str, now: int, ttl_seconds: int) -> bool:
        self._check("claim")
        held = self.claims.get(key)
        if held is not None and held[1] > now:
            return False
        self.claims[key] = ("INPROGRESS", now + ttl_seconds)
        return True

    def complete(self, key: str) -> None:
        self._check("complete")
        self.claims[key] = ("COMPLETED", self.claims[key][1])

    def release(self, key: str) -> None:
        self._check("release")
        self.claims.pop(key, None)


@dataclass
class FakeExecutions(_Faulty):
    started: dict[str, Mapping[str, object]] = field(default_factory=dict)

    def start(self, name: str, payload: Mapping[str, object]) -> Literal["started", "duplicate"]:
        self._check("start")
        if name in self.started:
            return "duplicate"
        self.started[name] = dict(payload)
        return "started"


@dataclass
class FakeLauncher(_Faulty):
    launched: dict[str, tuple[str, LaunchSpec]] = field(default_factory=dict)  # client token -> (id, spec)
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    def launch(self, spec: LaunchSpec) -> Launched:
        self._check("launch")
        if spec.client_token not in self.launched:  # EC2's ClientToken idempotency
            self.launched[spec.client_token] = (f"i-{0xABC000 + next(self._serial):017x}", spec)
        instance_id = self.launched[spec.client_token][0]
        return Launched(instance_id, f"ip-10-9-{int(instance_id[-4:], 16) % 250}-9.ec2.internal")


@dataclass
class FakeCloud:
    launcher_: FakeLauncher = field(default_factory=FakeLauncher)
    sessions: list[tuple[str, str]] = field(default_factory=list)

    def launcher(self, tenant: TenantRecord, region: str) -> FakeLauncher:
        self.sessions.append((tenant.tenant_id, region))
        return self.launcher_


@dataclass
class FakePoolLocator(_Faulty):
    pools: dict[str, HivePool] = field(default_factory=dict)  # instance id -> pool

    def locate(self, account_id: str | None, region: str, instance_id: str) -> HivePool | None:
        self._check("locate")
        return self.pools.get(instance_id)


@dataclass
class FakeKubeConnector(_Faulty):
    clusters: dict[str, FakeKube] = field(default_factory=dict)  # cluster name -> fake API

    def connect(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> FakeKube:
        self._check("connect")
        return self.clusters.setdefault(cluster.cluster, FakeKube())
