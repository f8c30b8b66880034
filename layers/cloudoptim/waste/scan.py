"""The scheduled waste scan of every onboarded account region. Nodes come from every registered cluster of the
account region: when one cannot be reached, its nodes could be taken for ghosts, so instance findings are withheld
for that account region and the reason says so."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from cloudoptim.audit.log import AuditEntry
from cloudoptim.errors import CloudOptimError
from cloudoptim.pricing.regions import tenant_ids
from cloudoptim.tenancy.ports import Document
from cloudoptim.waste.ports import WasteDeps
from engines.waste.model import NotAssessed, WasteKind
from engines.waste.scan import scan

FINDINGS, FIRST_SEEN = "waste-findings", "waste-first-seen"
ACTOR = "cloudoptim:waste"
PAGE = 100


@dataclass(frozen=True)
class AccountScan:
    tenant: str
    account: str
    region: str
    findings: int = 0
    monthly_waste: float = 0.0
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _all(deps: WasteDeps, tenant: str, kind: str) -> list[Document]:
    found: list[Document] = []
    cursor: str | None = None
    while True:
        page = deps.documents.list(tenant, kind, PAGE, cursor)
        found.extend(page.items)
        if page.cursor is None:
            return found
        cursor = page.cursor


def scan_all(deps: WasteDeps, now: int) -> list[AccountScan]:
    scans = []
    for tenant in tenant_ids(deps.documents):
        clusters = _all(deps, tenant, "cluster")
        for account in _all(deps, tenant, "account"):
            for region in account.body.get("regions") or ():
                mine = [
                    c for c in clusters if c.body.get("account_id") == account.id and c.body.get("region") == region
                ]
                scans.append(scan_account_region(deps, tenant, account, str(region), mine, now))
    return scans


def scan_account_region(
    deps: WasteDeps, tenant: str, account: Document, region: str, clusters: list[Document], now: int
) -> AccountScan:
    key = f"{account.id}@{region}"
    try:
        inventory = deps.inventory.inventory(tenant, account.body, region)
    except CloudOptimError as exc:
        return AccountScan(tenant, account.id, region, error=str(exc))
    nodes: dict[str, frozenset[str]] = {}
    unreachable = []
    for cluster in clusters:
        try:
            found = deps.nodes.nodes(tenant, cluster.body, account.body)
            nodes[cluster.id] = frozenset(n.instance_id for n in found if n.instance_id)
        except CloudOptimError as exc:
            unreachable.append(f"cluster {cluster.id}: {exc}")
    inventory = dataclasses.replace(inventory, cluster_nodes=nodes)
    kept = deps.documents.get(tenant, FIRST_SEEN, key)
    first_seen = {k: int(v) for k, v in (kept.body if kept else {}).items()}
    detectors = None
    withheld: list[NotAssessed] = []
    if unreachable:  # its nodes would look like ghosts: say so instead
        detectors = [WasteKind.ZOMBIE_VOLUME.value, WasteKind.CROSS_AZ_TRAFFIC.value]
        note = "instances not assessed: " + "; ".join(unreachable)
        withheld = [NotAssessed(WasteKind.GHOST_INSTANCE, note), NotAssessed(WasteKind.UNUSED_PUBLIC_IPV4, note)]
    report = scan(inventory, first_seen, deps.prices.prices(region, now), now, detectors=detectors)
    not_assessed = [*withheld, *report.not_assessed]
    body = {"account_id": account.id, "region": region, "scanned_at": now, "dry_run": True, **report.as_json(),
            "not_assessed": [{"kind": n.kind.value, "reason": n.reason} for n in not_assessed]}  # fmt: skip
    _put(deps, tenant, FINDINGS, key, body, now)
    _put(deps, tenant, FIRST_SEEN, key, dict(report.first_seen), now)
    summary = {"findings": len(report.findings), "monthly_waste": report.monthly_waste}
    reasons = tuple(
        f"{f.kind.value} {f.resource_id}: ${f.monthly_cost}/month, proposed {f.action}" for f in report.findings[:20]
    )
    target = {"account": account.id, "region": region}
    action = f"waste-scan:{account.id}:{region}:{now}"  # one scan, one entry (a retried record finds it)
    deps.audit.record(AuditEntry(tenant, action, ACTOR, now, "waste.scan", target, None, summary, "ok", reasons, True))
    return AccountScan(tenant, account.id, region, len(report.findings), report.monthly_waste)


def _put(deps: WasteDeps, tenant: str, kind: str, key: str, body: dict[str, Any], now: int) -> None:
    current = deps.documents.get(tenant, kind, key)
    if current is None:
        deps.documents.create(tenant, kind, key, body, now)
    else:
        deps.documents.replace(tenant, kind, key, body, current.version, now)
