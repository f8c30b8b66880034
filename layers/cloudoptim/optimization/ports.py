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
