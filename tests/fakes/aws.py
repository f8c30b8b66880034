"""In-memory fakes of the interruption pipeline's AWS ports (cloudoptim.interruptions.ports); the hive mind's are
in tests.fakes.hive. Each records what happened so tests assert outcomes, and `fail(operation, error, times)` makes
the next calls of an operation raise (tests.fakes.faulty)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cloudoptim.audit.log import GENESIS, AuditEntry, SealedEntry, seal, stored
from cloudoptim.errors import AccountTakenError, RecordNotFoundError
from cloudoptim.interruptions.ports import (
    Claim,
    ClusterRecord,
    FoundInstance,
    Launched,
    LaunchSpec,
    NodeRecord,
    TenantRecord,
)
from cloudoptim.tenancy.external_id import new_external_id
from engines.interruption.hive import HivePool
from tests.fakes.faulty import _Faulty
from tests.fakes.kube import FakeKube

__all__ = [
    "FakeAudit",
    "FakeBusPolicy",
    "FakeCloud",
    "FakeExecutions",
    "FakeExternalIds",
    "FakeIdempotency",
    "FakeKubeConnector",
    "FakeLauncher",
    "FakePoolLocator",
    "FakeRedelivery",
    "FakeRegistry",
    "FakeRoleCheck",
    "FakeTerminator",
]


@dataclass
class FakeRegistry(_Faulty):
    nodes: dict[str, NodeRecord] = field(default_factory=dict)
    tenants: dict[str, TenantRecord] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)  # account -> tenant (the ACCOUNT# items)
    clusters: dict[tuple[str, str], ClusterRecord] = field(default_factory=dict)

    def add_node(self, node: NodeRecord) -> None:
        self.nodes[node.instance_id] = node

    def add_tenant(self, tenant: TenantRecord) -> None:
        self.tenants[tenant.tenant_id] = tenant
        self.accounts[tenant.account_id] = tenant.tenant_id

    def claim_account(self, account_id: str, tenant_id: str) -> None:
        self._check("claim_account")
        if self.accounts.setdefault(account_id, tenant_id) != tenant_id:
            raise AccountTakenError(f"account {account_id} is registered to another tenant")

    def release_account(self, account_id: str, tenant_id: str) -> None:
        self._check("release_account")
        if self.accounts.get(account_id) == tenant_id:
            del self.accounts[account_id]

    def register_tenant(self, tenant: TenantRecord) -> None:
        self._check("register_tenant")
        self.claim_account(tenant.account_id, tenant.tenant_id)
        self.add_tenant(tenant)

    def tenant_for_account(self, account_id: str) -> str | None:
        self._check("tenant_for_account")
        return self.accounts.get(account_id)

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
class FakeAudit(_Faulty):
    """The audit log's contract in memory: per tenant a sequence of sealed entries, one per action id."""

    log: dict[str, list[tuple[AuditEntry, SealedEntry]]] = field(default_factory=dict)  # tenant -> entries
    actions: dict[tuple[str, str], int] = field(default_factory=dict)  # (tenant, action id) -> seq
    signed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # tenant -> checkpoints

    def record(self, entry: AuditEntry) -> str:
        self._check("record")
        log = self.log.setdefault(entry.tenant_id, [])
        seq = self.actions.get((entry.tenant_id, entry.action_id))
        if seq is None:  # append-only: a retried record finds its action and keeps the first entry
            sealed = seal(entry, len(log) + 1, log[-1][1].hash if log else GENESIS)
            log.append((entry, sealed))
            seq = self.actions[(entry.tenant_id, entry.action_id)] = sealed.seq
        return f"TENANT#{entry.tenant_id}/{log[seq - 1][1].key}"

    def all(self) -> list[AuditEntry]:
        return [entry for log in self.log.values() for entry, _ in log]

    def documents(self, tenant: str) -> list[dict[str, Any]]:
        """A tenant's entries oldest first, as the log stores them (time ISO, target a mapping)."""
        return [entry.document() for entry, _ in self.log.get(tenant, [])]

    # Readers (cloudoptim.audit.log.AuditReader): entries as stored, plus the tenant's checkpoints.
    def entries(self, tenant: str, after_seq: int = 0, limit: int = 100) -> Sequence[Mapping[str, Any]]:
        return [stored(s.body, s.hash) for _, s in self.log.get(tenant, [])[after_seq : after_seq + limit]]

    def newest(self, tenant: str, before_seq: int | None = None, limit: int = 100) -> Sequence[Mapping[str, Any]]:
        log = self.log.get(tenant, [])
        end = len(log) if before_seq is None else max(before_seq - 1, 0)
        return [stored(s.body, s.hash) for _, s in reversed(log[max(end - limit, 0) : end])]

    def checkpoints(self, tenant: str) -> Sequence[Mapping[str, Any]]:
        return [dict(c) for c in self.signed.get(tenant, [])]

    def add_checkpoint(self, tenant: str, checkpoint: Mapping[str, Any]) -> bool:
        found = self.signed.setdefault(tenant, [])
        if any(c["seq"] == checkpoint["seq"] for c in found):
            return False
        found.append(dict(checkpoint))
        return True


@dataclass
class FakeIdempotency(_Faulty):
    """Claims with the adapter's rules: completed -> DONE, held in progress -> IN_PROGRESS until the window passes."""

    in_progress_seconds: int = 20
    claims: dict[str, tuple[str, int, int, str]] = field(default_factory=dict)  # key -> (status, expiry, until, owner)

    def claim(self, key: str, now: int, ttl_seconds: int, owner: str | None = None) -> Claim:
        self._check("claim")
        held = self.claims.get(key)
        if held is not None and held[1] > now:
            status, _, until, _ = held
            if status == "COMPLETED":
                return Claim.DONE
            if until > now:
                return Claim.IN_PROGRESS
        self.claims[key] = ("INPROGRESS", now + ttl_seconds, now + self.in_progress_seconds, owner or key)
        return Claim.TAKEN

    def claim_all(self, keys: Sequence[str], now: int, ttl_seconds: int, owner: str | None = None) -> bool:
        self._check("claim")
        held = [self.claims.get(key) for key in keys]
        if any(h is not None and h[1] > now and (h[0] == "COMPLETED" or h[2] > now) for h in held):
            return False
        for key in keys:
            self.claims[key] = ("INPROGRESS", now + ttl_seconds, now + self.in_progress_seconds, owner or key)
        return True

    def complete(self, key: str) -> None:
        self._check("complete")
        _, expiry, _, owner = self.claims[key]
        self.claims[key] = ("COMPLETED", expiry, 0, owner)

    def complete_all(self, keys: Sequence[str]) -> None:
        self._check("complete")  # all or none, as the transaction
        for key in keys:
            _, expiry, _, owner = self.claims[key]
            self.claims[key] = ("COMPLETED", expiry, 0, owner)

    def release(self, key: str, owner: str | None = None) -> None:
        self._check("release")
        held = self.claims.get(key)
        if held is not None and held[3] == (owner or key):
            del self.claims[key]


@dataclass
class FakeRedelivery(_Faulty):
    retried: list[tuple[str, int]] = field(default_factory=list)  # (receipt handle, seconds)

    def retry_soon(self, receipt_handle: str, seconds: int) -> None:
        self._check("retry_soon")
        self.retried.append((receipt_handle, seconds))


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
class FakeTerminator(_Faulty):
    """Instances by id with their tags; terminates only one carrying every tag asked for."""

    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    terminated: list[str] = field(default_factory=list)

    def terminate(self, instance_id: str, tags: Mapping[str, str]) -> bool:
        self._check("terminate")
        carried = self.tags.get(instance_id)
        if carried is None or instance_id in self.terminated or any(carried.get(k) != v for k, v in tags.items()):
            return False
        self.terminated.append(instance_id)
        return True


@dataclass
class FakeCloud:
    launcher_: FakeLauncher = field(default_factory=FakeLauncher)
    terminator_: FakeTerminator = field(default_factory=FakeTerminator)
    sessions: list[tuple[str, str, str]] = field(default_factory=list)  # (tenant, region, purpose)

    def launcher(self, tenant: TenantRecord, region: str) -> FakeLauncher:
        self.sessions.append((tenant.tenant_id, region, "launch"))
        return self.launcher_

    def terminator(self, tenant: TenantRecord, region: str) -> FakeTerminator:
        self.sessions.append((tenant.tenant_id, region, "terminate"))
        for _, (instance_id, spec) in self.launcher_.launched.items():  # what was launched carries its tags
            self.terminator_.tags.setdefault(instance_id, dict(spec.tags))
        return self.terminator_


@dataclass
class FakePoolLocator(_Faulty):
    pools: dict[str, HivePool] = field(default_factory=dict)  # instance id -> pool (no cluster tags)
    found: dict[str, FoundInstance] = field(default_factory=dict)  # instance id -> as described, tags included
    asked: list[tuple[str, str]] = field(default_factory=list)  # (tenant, instance)

    def locate(self, tenant: TenantRecord, region: str, instance_id: str) -> FoundInstance | None:
        self._check("locate")
        self.asked.append((tenant.tenant_id, instance_id))
        if instance_id in self.found:
            return self.found[instance_id]
        pool = self.pools.get(instance_id)
        return FoundInstance(pool, "", pool.instance_type, "spot", "") if pool else None


@dataclass
class FakeExternalIds(_Faulty):
    ids: dict[str, str] = field(default_factory=dict)

    def issue(self, tenant_id: str) -> str:
        self._check("issue")
        return self.ids.setdefault(tenant_id, new_external_id())

    def get(self, tenant_id: str) -> str:
        self._check("get")
        if tenant_id not in self.ids:
            raise RecordNotFoundError(f"tenant {tenant_id!r} has no ExternalId: issue one with its template")
        return self.ids[tenant_id]


@dataclass
class FakeBusPolicy(_Faulty):
    accounts: list[str] = field(default_factory=list)

    def allow_account(self, account_id: str) -> None:
        self._check("allow_account")
        if account_id not in self.accounts:
            self.accounts.append(account_id)


@dataclass
class FakeRoleCheck(_Faulty):
    verified: list[str] = field(default_factory=list)

    def verify(self, tenant: TenantRecord) -> None:
        self._check("verify")
        self.verified.append(tenant.tenant_id)


@dataclass
class FakeKubeConnector(_Faulty):
    clusters: dict[str, FakeKube] = field(default_factory=dict)  # cluster name -> fake API

    def connect(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> FakeKube:
        self._check("connect")
        return self.clusters.setdefault(cluster.cluster, FakeKube())
