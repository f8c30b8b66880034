"""Audit entries, their canonical form and the hash that chains each to the one before it.

Storage (cloudoptim.adapters.aws.audit) keeps per tenant `SEQ#<seq>` items and one `ACTION#<action id>` guard per
action, written together; this module is what both the writer and a later verifier (issue 13) agree on: the
canonical JSON of an entry, with its `seq` and `prev_hash`, hashed with SHA-256.

>>> entry = AuditEntry("acme", "exec-1#i-1", "exec-1", 0, "drain-and-replace", {"node": "n1"}, None, None,
...                    "recorded", ("why",), False)
>>> sealed = seal(entry, 1, GENESIS)
>>> sealed.hash == hashlib.sha256(sealed.body.encode()).hexdigest(), sealed.key
(True, 'SEQ#000000000001')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

GENESIS = "0" * 64  # prev_hash of a tenant's first entry
SEQ_DIGITS = 12


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One action: who (`actor`: a workflow's execution name, later an API user), when, what, on what, the state
    before and after where known, the outcome and why. `action_id` identifies the action itself, so a retried
    write finds the entry already there."""

    tenant_id: str
    action_id: str
    actor: str
    at: int
    action: str
    target: Mapping[str, Any]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    outcome: str
    reasons: tuple[str, ...]
    dry_run: bool

    def document(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "action_id": self.action_id,
            "actor": self.actor,
            "time": datetime.fromtimestamp(self.at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "action": self.action,
            "target": dict(self.target),
            "before": dict(self.before) if self.before is not None else None,
            "after": dict(self.after) if self.after is not None else None,
            "outcome": self.outcome,
            "reasons": list(self.reasons),
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True, slots=True)
class SealedEntry:
    seq: int
    prev_hash: str
    hash: str
    body: str  # the canonical JSON that was hashed

    @property
    def key(self) -> str:
        return seq_key(self.seq)


def seq_key(seq: int) -> str:
    return f"SEQ#{seq:0{SEQ_DIGITS}d}"


def canonical(document: Mapping[str, Any]) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the same bytes whoever serialises it."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seal(entry: AuditEntry, seq: int, prev_hash: str) -> SealedEntry:
    body = canonical({**entry.document(), "seq": seq, "prev_hash": prev_hash})
    return SealedEntry(seq, prev_hash, hashlib.sha256(body.encode()).hexdigest(), body)


class AuditLog(Protocol):
    def record(self, entry: AuditEntry) -> str:
        """Append the entry (once per `action_id`); returns its key `TENANT#<t>/SEQ#<seq>`."""
        ...


class AuditReader(Protocol):
    """Reading a tenant's log as stored entries: the hashed body's fields plus `hash` (cloudoptim.audit.chain)."""

    def entries(self, tenant: str, after_seq: int = 0, limit: int = 100) -> Sequence[Mapping[str, Any]]:
        """Entries with seq > after_seq, oldest first."""
        ...

    def newest(self, tenant: str, before_seq: int | None = None, limit: int = 100) -> Sequence[Mapping[str, Any]]:
        """Entries with seq < before_seq (all when None), newest first."""
        ...

    def checkpoints(self, tenant: str) -> Sequence[Mapping[str, Any]]:
        """Signed checkpoints, oldest first."""
        ...

    def add_checkpoint(self, tenant: str, checkpoint: Mapping[str, Any]) -> bool:
        """False when a checkpoint already signs that seq (two checkpoint runs at once)."""
        ...


class AuditStore(AuditLog, AuditReader, Protocol):
    """Both sides: what the API and the checkpoint job hold."""


def stored(body: str, hash: str) -> dict[str, Any]:
    """A stored entry as readers see it: the hashed canonical body's fields plus its hash."""
    entry: dict[str, Any] = json.loads(body)
    entry["hash"] = hash
    return entry


# The keys a target is shown by, outermost first; any others follow in name order.
TARGET_ORDER = ("tenant", "account", "cluster", "policy", "user", "recommendation", "sweep", "execution", "node",
                "instance_id")  # fmt: skip


def target_text(target: Mapping[str, Any]) -> str:
    """`cluster/prod/node/ip-10-0-1-2...`: what the log's target filter matches by prefix."""
    keys = [k for k in TARGET_ORDER if k in target] + sorted(k for k in target if k not in TARGET_ORDER)
    return "/".join(f"{k}/{target[k]}" for k in keys)
