"""In-memory adapters of the tenancy ports (cloudoptim.tenancy.ports), with the same contracts as the DynamoDB
ones: versions, conditional writes, cursors, an append-only hash-chained audit log."""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from cloudoptim.errors import ConflictError, NotFoundError, PreconditionFailedError
from cloudoptim.interruptions.ports import TenantRecord
from cloudoptim.tenancy.ports import (
    Connectivity,
    Document,
    Json,
    Page,
    StoredResponse,
    Verification,
    cursor_after,
    id_of_cursor,
)
from tests.fakes.aws import FakeExternalIds


@dataclass
class MemoryDocuments:
    items: dict[tuple[str, str, str], Document] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, tenant: str, kind: str, id: str) -> Document | None:
        return self.items.get((tenant, kind, id))

    def list(self, tenant: str, kind: str, limit: int, cursor: str | None = None, prefix: str = "") -> Page:
        after = id_of_cursor(cursor, f"{tenant}/{kind}") if cursor is not None else None
        ids = sorted(
            i for (t, k, i) in self.items
            if t == tenant and k == kind and i.startswith(prefix) and (after is None or i > after)
        )  # fmt: skip
        chosen = ids[:limit]
        more = len(ids) > limit
        next_page = cursor_after(chosen[-1], f"{tenant}/{kind}") if more else None
        return Page([self.items[(tenant, kind, i)] for i in chosen], next_page)

    def create(self, tenant: str, kind: str, id: str, body: Json, now: int) -> Document:
        with self._lock:
            if (tenant, kind, id) in self.items:
                raise ConflictError(f"{kind} {id} already exists")
            document = Document(kind, id, dict(body), 1, now, now)
            self.items[(tenant, kind, id)] = document
            return document

    def replace(self, tenant: str, kind: str, id: str, body: Json, expected_version: int, now: int) -> Document:
        with self._lock:
            current = self.items.get((tenant, kind, id))
            if current is None:
                raise NotFoundError(f"{kind} {id} not found")
            if current.version != expected_version:
                raise PreconditionFailedError(f"{kind} {id} is at version {current.version}, not {expected_version}")
            document = dataclasses.replace(current, body=dict(body), version=current.version + 1, updated_at=now)
            self.items[(tenant, kind, id)] = document
            return document

    def delete(self, tenant: str, kind: str, id: str, expected_version: int | None = None) -> bool:
        with self._lock:
            current = self.items.get((tenant, kind, id))
            if current is None:
                if expected_version is not None:
                    raise NotFoundError(f"{kind} {id} not found")
                return False
            if expected_version is not None and current.version != expected_version:
                raise PreconditionFailedError(f"{kind} {id} is at version {current.version}, not {expected_version}")
            del self.items[(tenant, kind, id)]
            return True


@dataclass
class MemoryRequestLog:
    stored: dict[tuple[str, str], tuple[StoredResponse, int]] = field(default_factory=dict)
    ttl_seconds: int = 86400

    def get(self, tenant: str, key: str, now: int) -> StoredResponse | None:
        found = self.stored.get((tenant, key))
        return found[0] if found and found[1] > now else None

    def put(self, tenant: str, key: str, response: StoredResponse, now: int) -> None:
        self.stored.setdefault((tenant, key), (response, now + self.ttl_seconds))


@dataclass
class FakeAccountProbe:
    """Assumes the role once CloudOptim issued the tenant's ExternalId and the customer `deployed` the template;
    `denied` lists the checks the role fails."""

    issued: FakeExternalIds
    denied: frozenset[str] = frozenset()
    undeployed: frozenset[str] = frozenset()  # accounts whose template is not deployed: AssumeRole refused
    checks: tuple[str, ...] = ("ec2:DescribeInstances", "ec2:DescribeAvailabilityZones")

    def verify(self, tenant: TenantRecord) -> Verification:
        if tenant.tenant_id not in self.issued.ids or tenant.account_id in self.undeployed:
            return Verification(False, {}, ("AssumeRole refused: the template is not deployed as issued",))
        results = {check: check not in self.denied for check in self.checks}
        return Verification(True, results, tuple(f"{c}: denied" for c, ok in results.items() if not ok))


@dataclass
class FakeClusterProbe:
    reachable: bool = True

    def check(self, tenant: str, cluster: Json, account: Json) -> Connectivity:
        endpoint = f"https://{cluster['name']}.eks.example"
        if not self.reachable:
            return Connectivity(False, {"eks:DescribeCluster": True, "list nodes": False}, ("API unreachable",))
        return Connectivity(True, {"eks:DescribeCluster": True, "list nodes": True}, (), endpoint, "Q0E=", "1.31")


@dataclass
class FakeClusterTokens:
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    def put(self, tenant: str, cluster: str, token: str) -> str:
        self.tokens[(tenant, cluster)] = token
        return f"arn:aws:secretsmanager:eu-west-1:000000000000:secret:cloudoptim/{tenant}/{cluster}/token"

    def delete(self, tenant: str, cluster: str) -> None:
        self.tokens.pop((tenant, cluster), None)


@dataclass
class FakeDirectory:
    users: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # subject -> (tenant, email, role)
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    def invite(self, tenant: str, email: str, role: str) -> str:
        subject = f"u-{next(self._serial):06d}"
        self.users[subject] = (tenant, email, role)
        return subject

    def set_role(self, tenant: str, subject: str, role: str) -> None:
        found = self.users[subject]
        self.users[subject] = (found[0], found[1], role)

    def remove(self, tenant: str, subject: str) -> None:
        self.users.pop(subject, None)


@dataclass
class FakeWorkflows:
    """Records the state machines it was asked to start; a name started twice is a duplicate, as in Step Functions."""

    sweeps: dict[str, Any] = field(default_factory=dict)
    executions: dict[str, Any] = field(default_factory=dict)

    def start_sweep(self, name: str, payload: Any) -> str:
        if name in self.sweeps:
            return "duplicate"
        self.sweeps[name] = dict(payload)
        return "started"

    def start_execution(self, name: str, payload: Any) -> str:
        if name in self.executions:
            return "duplicate"
        self.executions[name] = dict(payload)
        return "started"


class MemorySnapshots:
    """`SnapshotStore` in memory, with ETags like S3's conditional writes."""

    def __init__(self) -> None:
        self.snapshots: dict[tuple[str, str, str], Any] = {}
        self.usage: dict[tuple[str, str], tuple[Any, str]] = {}
        self._version = 0

    def put_snapshot(self, tenant: str, cluster: str, run: str, document: Any) -> str:
        self.snapshots[(tenant, cluster, run)] = json.loads(json.dumps(document))
        return f"snapshots/{tenant}/{cluster}/{run}.json.gz"

    def get_snapshot(self, tenant: str, cluster: str, run: str) -> Any:
        found = self.snapshots.get((tenant, cluster, run))
        if found is None:
            raise NotFoundError(f"snapshot {run} of cluster {cluster} not found")
        return found

    def get_usage(self, tenant: str, cluster: str) -> tuple[Any, str | None]:
        found = self.usage.get((tenant, cluster))
        return (None, None) if found is None else (json.loads(json.dumps(found[0])), found[1])

    def put_usage(self, tenant: str, cluster: str, history: Any, etag: str | None) -> bool:
        current = self.usage.get((tenant, cluster))
        if (current[1] if current else None) != etag:
            return False
        self._version += 1
        self.usage[(tenant, cluster)] = (json.loads(json.dumps(history)), f'"{self._version}"')
        return True
