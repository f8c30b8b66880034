"""Reading the audit log (filters, pages, CSV, export) and signing hourly checkpoints."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cloudoptim.audit.chain import checkpoint_message, export_lines
from cloudoptim.audit.log import AuditReader, target_text
from cloudoptim.errors import FieldError
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.ports import Documents, Json, Signer
from cloudoptim.tenancy.principal import Action, Principal
from cloudoptim.tenancy.tenants import INDEX, TENANT

BATCH = 500
MAX_EXAMINED = 20_000  # a filtered page reads at most this many entries; the cursor then continues the search


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None  # prefix: "cluster." matches every cluster action
    actor: str | None = None
    target: str | None = None  # prefix
    since: int | None = None
    until: int | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.action, self.actor, self.target, self.since, self.until))

    def matches(self, entry: Json) -> bool:
        at = epoch_of(entry)
        return (
            (self.action is None or str(entry.get("action", "")).startswith(self.action))
            and (self.actor is None or entry.get("actor") == self.actor)
            and (self.target is None or target_text(entry.get("target") or {}).startswith(self.target))
            and (self.since is None or at >= self.since)
            and (self.until is None or at < self.until)
        )


def page(
    deps: TenancyDeps, principal: Principal, chosen: AuditFilter, limit: int, cursor: str | None
) -> tuple[list[Json], str | None]:
    """Newest first; the cursor is the seq to continue below."""
    principal.require(Action.READ)
    before = _cursor(cursor)
    found: list[Json] = []
    examined = 0
    size = limit if chosen.empty else BATCH  # unfiltered: read exactly one page
    while len(found) < limit and examined < MAX_EXAMINED and (before is None or before > 1):
        batch = deps.audit.newest(principal.tenant_id, before, size)
        if not batch:
            return found, None
        for entry in batch:
            examined += 1
            before = int(entry["seq"])
            if chosen.matches(entry):
                found.append(entry)
                if len(found) == limit:
                    break
    more = before is not None and before > 1
    return found, (str(before) if more else None)


def _cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or not 1 <= int(cursor) <= 10**15:
        raise FieldError("cursor", "not a cursor this API returned")
    return int(cursor)


def epoch_of(entry: Json) -> int:
    """An entry's time (ISO 8601 UTC in the log) as epoch seconds."""
    return int(datetime.strptime(str(entry.get("time")), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def as_csv(entries: Sequence[Json]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["seq", "time", "actor", "action", "target", "outcome", "dry_run", "reasons", "hash"])
    for e in entries:
        writer.writerow(
            [e["seq"], e["time"], e["actor"], e["action"], target_text(e.get("target") or {}), e.get("outcome"),
             e.get("dry_run"), " | ".join(e.get("reasons") or ()), e["hash"]]
        )  # fmt: skip
    return out.getvalue()


def export(deps: TenancyDeps, principal: Principal) -> str:
    """Every entry and checkpoint of the tenant, with the public keys, as NDJSON (cloudoptim audit verify FILE)."""
    principal.require(Action.READ)
    entries: list[Json] = []
    while True:
        batch = deps.audit.entries(principal.tenant_id, len(entries), BATCH)
        if not batch:
            break
        entries.extend(batch)
    keys = deps.signer.public_keys()
    return export_lines(principal.tenant_id, entries, deps.audit.checkpoints(principal.tenant_id), keys)


def checkpoint(audit: AuditReader, signer: Signer, tenant_id: str, now: int) -> Json | None:
    """Sign the tenant's newest entry (hourly); None when nothing was written since the last checkpoint."""
    newest = audit.newest(tenant_id, None, 1)
    if not newest:
        return None
    earlier = audit.checkpoints(tenant_id)
    if earlier and int(earlier[-1]["seq"]) >= int(newest[0]["seq"]):
        return None
    unsigned = {
        "tenant_id": tenant_id,
        "seq": int(newest[0]["seq"]),
        "hash": newest[0]["hash"],
        "at": now,
        "key_id": signer.key_id,
        "prev_signature": str(earlier[-1]["signature"]) if earlier else "",
    }
    signed = {**unsigned, "signature": signer.sign(checkpoint_message(unsigned))}
    return signed if audit.add_checkpoint(tenant_id, signed) else None


def checkpoint_all(documents: Documents, audit: AuditReader, signer: Signer, now: int) -> tuple[int, int]:
    """(signed, unchanged) over every tenant in the index (a Query, not a Scan)."""
    signed = unchanged = 0
    cursor: str | None = None
    while True:
        page = documents.list(INDEX, TENANT, 500, cursor)
        for tenant in page.items:
            if checkpoint(audit, signer, tenant.id, now) is None:
                unchanged += 1
            else:
                signed += 1
        if page.cursor is None:
            return signed, unchanged
        cursor = page.cursor
