"""Narrow ports of the optimization use cases (adapters: cloudoptim.adapters.aws; tests/fakes in memory)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cloudoptim.audit.log import AuditLog
from cloudoptim.tenancy.ports import Documents


class Workflows(Protocol):
    """Starts the state machines (Step Functions in AWS and local mode); names make a start idempotent."""

    def start_sweep(self, name: str, payload: Mapping[str, Any]) -> str: ...
    def start_execution(self, name: str, payload: Mapping[str, Any]) -> str: ...


@dataclass(frozen=True)
class OptimizationDeps:
    documents: Documents
    audit: AuditLog
    workflows: Workflows


@dataclass(frozen=True, slots=True)
class UsageSample:
    """One container's usage as metrics-server reports it now."""

    namespace: str
    pod: str
    container: str
    cpu_cores: float
    memory_bytes: int


@dataclass(frozen=True)
class ClusterSnapshot:
    document: Mapping[str, Any]  # a Kubernetes `List` (kubectl's JSON), items with kind and apiVersion
    notes: tuple[str, ...] = ()


class ClusterReader(Protocol):
    """A tenant's cluster through its Kubernetes API (the tenant role signs the EKS token)."""

    def snapshot(self, tenant: str, cluster: Mapping[str, Any], account: Mapping[str, Any]) -> ClusterSnapshot: ...
    def pod_usage(self, tenant: str, cluster: Mapping[str, Any], account: Mapping[str, Any]) -> list[UsageSample]: ...


class SnapshotStore(Protocol):
    """Discovery's snapshots (compressed, S3 in AWS) and each cluster's usage history (one object, versioned by an
    ETag so two samplers never lose each other's samples)."""

    def put_snapshot(self, tenant: str, cluster: str, run: str, document: Mapping[str, Any]) -> str: ...
    def get_snapshot(self, tenant: str, cluster: str, run: str) -> Mapping[str, Any]: ...
    def get_usage(self, tenant: str, cluster: str) -> tuple[Mapping[str, Any] | None, str | None]: ...
    def put_usage(self, tenant: str, cluster: str, history: Mapping[str, Any], etag: str | None) -> bool:
        """False when someone else wrote since `etag` was read (read again and merge)."""
        ...
