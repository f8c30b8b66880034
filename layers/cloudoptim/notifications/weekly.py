"""The weekly summary of every tenant, by email: once per tenant and ISO week (a claim in the Idempotency table,
completed after the send, released when it fails so the schedule's retry sends it). Tenants come from the tenant
index (one Query per page, no Scan); a tenant without recipients is skipped and says so."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cloudoptim.audit.log import AuditEntry
from cloudoptim.errors import CloudOptimError
from cloudoptim.interruptions.ports import Claim
from cloudoptim.notifications import config
from cloudoptim.notifications.ports import WeeklyDeps
from cloudoptim.notifications.summary import (
    ExecutionLine,
    RecommendationLine,
    Savings,
    WasteLine,
    WeeklySummary,
    compose,
    iso_week,
)
from cloudoptim.notifications.templates import email
from cloudoptim.optimization import savings
from cloudoptim.optimization.executions import EXECUTION
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.optimization.recommendations import RECOMMENDATION, effective_status
from cloudoptim.optimization.records import Execution, Recommendation
from cloudoptim.pricing.regions import tenant_ids
from cloudoptim.tenancy.ports import Document, Documents
from cloudoptim.tenancy.principal import Principal, Role
from cloudoptim.waste.scan import FINDINGS

PAGE = 200
SENT_TTL_SECONDS = 21 * 86400  # longer than a week: a late retry of last week's run still finds it sent
ACTOR = "cloudoptim:notifications"


@dataclass(frozen=True)
class WeeklyResult:
    tenant: str
    week: str
    outcome: str  # sent | duplicate | in_progress | skipped | failed
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def send_all(deps: WeeklyDeps, now: int) -> list[WeeklyResult]:
    return [send_one(deps, tenant, now) for tenant in tenant_ids(deps.documents)]


def send_one(deps: WeeklyDeps, tenant: str, now: int) -> WeeklyResult:
    week = iso_week(now)
    recipients = list(config.read(deps.documents, tenant).body.get("emails") or [])
    if not recipients:
        return WeeklyResult(tenant, week, "skipped", "no email recipients in the notification settings")
    key = f"weekly#{tenant}#{week}"
    claim = deps.sent.claim(key, now, SENT_TTL_SECONDS)
    if claim is not Claim.TAKEN:
        return WeeklyResult(tenant, week, "duplicate" if claim is Claim.DONE else "in_progress")
    try:
        summary = gather(deps.documents, tenant, now)
        message = email(summary)
        message_id = deps.mailer.send(recipients, message)
    except CloudOptimError as exc:
        deps.sent.release(key)
        return WeeklyResult(tenant, week, "failed", str(exc))
    deps.sent.complete(key)
    after = {"week": week, "recipients": len(recipients), "message_id": message_id, "subject": message.subject}
    deps.audit.record(AuditEntry(tenant, key, ACTOR, now, "notifications.weekly", {"tenant": tenant}, None, after,
                                 "ok", (), False))  # fmt: skip
    return WeeklyResult(tenant, week, "sent", message_id)


def gather(documents: Documents, tenant: str, now: int) -> WeeklySummary:
    """What the product stored for the tenant, as the summary's lines (the savings ledger's own totals)."""
    ledger = savings.totals(_reader(documents), Principal(tenant, ACTOR, "", Role.VIEWER), None, now)
    open_lines = []
    for document in _all(documents, tenant, RECOMMENDATION):
        r = Recommendation.model_validate(document.body)
        status = effective_status(r, now)
        if status in savings.PROJECTED:
            open_lines.append(RecommendationLine(document.id, r.cluster, r.kind, r.title, status,
                                                 r.projected_savings_per_hour))  # fmt: skip
    executions = []
    for document in _all(documents, tenant, EXECUTION):
        x = Execution.model_validate(document.body)
        reason = _cause(x) if x.status in ("failed", "rolled_back") else ""
        executions.append(ExecutionLine(document.id, x.cluster, x.kind, x.status, x.started_at,
                                        x.realised_savings_per_hour, reason))  # fmt: skip
    waste = [line for document in _all(documents, tenant, FINDINGS) for line in _waste_lines(document.body)]
    totals = Savings(ledger.current_cost_per_hour, ledger.projected_savings_per_hour, ledger.realised_savings_per_hour)
    return compose(tenant, now, totals, open_lines, executions, waste)


def _cause(execution: Execution) -> str:
    """The first reason is why it stopped; what was undone after it follows (uncordoned, terminated)."""
    if not execution.reasons:
        return ""
    more = len(execution.reasons) - 1
    return execution.reasons[0] + (f" (+{more} more in the execution's record)" if more else "")


def _waste_lines(body: Mapping[str, Any]) -> Iterator[WasteLine]:
    where = f"{body.get('account_id', '?')}/{body.get('region', '?')}"
    for finding in body.get("findings") or ():
        yield WasteLine(str(finding.get("kind")), str(finding.get("resource_id")), where,
                        float(finding.get("monthly_cost") or 0.0))  # fmt: skip


def _all(documents: Documents, tenant: str, kind: str) -> Iterator[Document]:
    cursor: str | None = None
    while True:
        page = documents.list(tenant, kind, PAGE, cursor)
        yield from page.items
        if page.cursor is None:
            return
        cursor = page.cursor


class _ReadOnly:
    """The savings ledger only reads documents; the summary must never start a workflow or write an audit entry
    through it, so these refuse."""

    def start_sweep(self, name: str, payload: Mapping[str, Any]) -> str:
        raise AssertionError("the weekly summary starts no sweep")

    def start_execution(self, name: str, payload: Mapping[str, Any]) -> str:
        raise AssertionError("the weekly summary starts no execution")

    def record(self, entry: AuditEntry) -> str:
        raise AssertionError("the savings ledger writes no audit entry")


def _reader(documents: Documents) -> OptimizationDeps:
    refuse = _ReadOnly()
    return OptimizationDeps(documents=documents, audit=refuse, workflows=refuse)
