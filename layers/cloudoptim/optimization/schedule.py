"""The sweep's scheduled fan-outs over every tenant's clusters (through the tenant index, never a Scan): sample
usage into each cluster's history, and start each cluster's sweep. One cluster failing never stops the others;
each answer says what happened to it."""

from __future__ import annotations

from typing import Any

from cloudoptim.errors import CloudOptimError
from cloudoptim.optimization import sweeps
from cloudoptim.optimization.discover import sample_usage
from cloudoptim.optimization.sweep_steps import SweepDeps
from cloudoptim.pricing.regions import tenant_ids
from cloudoptim.tenancy.ports import Document, Documents

ACTOR = "cloudoptim:schedule"
PAGE = 100


def _clusters(documents: Documents, tenant: str) -> list[Document]:
    found: list[Document] = []
    cursor: str | None = None
    while True:
        page = documents.list(tenant, "cluster", PAGE, cursor)
        found.extend(page.items)
        if page.cursor is None:
            return found
        cursor = page.cursor


def sample_all(deps: SweepDeps, now: int) -> list[dict[str, Any]]:
    answers = []
    for tenant in tenant_ids(deps.optimization.documents):
        for cluster in _clusters(deps.optimization.documents, tenant):
            try:
                hours = sample_usage(deps.discovery, tenant, cluster.id, now)
                answers.append({"tenant": tenant, "cluster": cluster.id, "usage_hours": hours})
            except CloudOptimError as exc:
                answers.append({"tenant": tenant, "cluster": cluster.id, "error": f"{type(exc).__name__}: {exc}"})
    return answers


def start_all(deps: SweepDeps, now: int) -> list[dict[str, Any]]:
    answers = []
    for tenant in tenant_ids(deps.optimization.documents):
        for cluster in _clusters(deps.optimization.documents, tenant):
            try:
                started = sweeps.start(deps.optimization, tenant, cluster.id, ACTOR, now)
                answers.append({"tenant": tenant, "cluster": cluster.id, "sweep": started.id})
            except CloudOptimError as exc:
                answers.append({"tenant": tenant, "cluster": cluster.id, "error": f"{type(exc).__name__}: {exc}"})
    return answers
