"""The tamper-evident audit log, as data: entries hash-chained per tenant, checkpoints signed, an export format.
Pure (hashlib only: the pipeline's functions seal entries without a crypto library); signatures are checked in
cloudoptim.audit.verify, made by a signer adapter. Entries are written by cloudoptim.audit.log.seal.

Each entry carries `seq` (1, 2, ...), `prev_hash` (the previous entry's `hash`; 64 zeros for the first) and `hash`
= sha256 of the canonical JSON of the entry without `hash`. A checkpoint signs (tenant, seq, that entry's hash, time,
key id, the previous checkpoint's signature), as CloudTrail's digests chain their signatures.

>>> from cloudoptim.audit.log import AuditEntry, seal, stored
>>> made = AuditEntry("acme", "a-1", "user:ops@acme.example", 0, "tenant.create", {"tenant": "acme"}, None, None,
...                   "ok", (), False)
>>> first = seal(made, 1, GENESIS)
>>> second = seal(made, 2, first.hash)
>>> log = [stored(first.body, first.hash), stored(second.body, second.hash)]
>>> first_problem(log) is None, first_problem(log[::-1])
(True, 'entry 1 (line 1): seq is 2, expected 1')
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from cloudoptim.audit.log import GENESIS, canonical

EXPORT_FORMAT = "cloudoptim-audit-export/1"
Json = Mapping[str, Any]


def entry_hash(entry: Json) -> str:
    """What cloudoptim.audit.log.seal computed when the entry was written: the canonical body without `hash`."""
    return hashlib.sha256(canonical({k: v for k, v in entry.items() if k != "hash"}).encode()).hexdigest()


def checkpoint_message(checkpoint: Json) -> bytes:
    """The signed bytes: everything but the signature itself."""
    signed = ("tenant_id", "seq", "hash", "at", "key_id", "prev_signature")
    return canonical({k: checkpoint[k] for k in signed}).encode()


def first_problem(entries: Sequence[Json], lines: Sequence[int] | None = None) -> str | None:
    """The first entry that breaks the chain (changed, removed, inserted or reordered), or None."""
    previous = GENESIS
    for index, entry in enumerate(entries):
        where = f"entry {index + 1} (line {lines[index] if lines else index + 1})"
        if entry.get("seq") != index + 1:
            return f"{where}: seq is {entry.get('seq')}, expected {index + 1}"
        if entry.get("prev_hash") != previous:
            return f"{where}: prev_hash does not match the hash of entry {index}"
        if entry.get("hash") != entry_hash(entry):
            return f"{where}: content does not match its hash (changed after it was written)"
        previous = str(entry["hash"])
    return None


def export_lines(tenant_id: str, entries: Sequence[Json], checkpoints: Sequence[Json], keys: Mapping[str, str]) -> str:
    """NDJSON: a header, one canonical line per entry, one per checkpoint. Lines are canonical JSON, so any changed
    byte (even whitespace) shows, and one entry per line lets a damaged line name its entry."""
    header = {"format": EXPORT_FORMAT, "tenant_id": tenant_id, "entries": len(entries), "public_keys": dict(keys)}
    lines = [canonical(header)]
    lines += [line_of("entry", entry) for entry in entries]
    lines += [line_of("checkpoint", checkpoint) for checkpoint in checkpoints]
    return "\n".join(lines) + "\n"


def line_of(kind: str, record: Json) -> str:
    return canonical({"type": kind, **record})
