"""The tamper-evident audit log, as data: entries hash-chained per tenant, checkpoints signed, an export format.
Pure (hashlib only: the pipeline's functions seal entries without a crypto library); signatures are checked in
cloudoptim.audit.verify, made by a signer adapter.

Each entry carries `seq` (1, 2, ...), `prev_hash` (the previous entry's `hash`; 64 zeros for the first) and `hash`
= sha256 of the canonical JSON of the entry without `hash`. A checkpoint signs (tenant, seq, that entry's hash, time,
key id, the previous checkpoint's signature), as CloudTrail's digests chain their signatures.

>>> first = seal({"tenant_id": "acme", "seq": 1, "action": "tenant.create"}, GENESIS)
>>> second = seal({"tenant_id": "acme", "seq": 2, "action": "cluster.create"}, first["hash"])
>>> first_problem([first, second]) is None, first_problem([second, first])
(True, 'entry 1 (line 1): seq is 2, expected 1')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

GENESIS = "0" * 64
EXPORT_FORMAT = "cloudoptim-audit-export/1"
Json = Mapping[str, Any]


def canonical(value: Json) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Json) -> str:
    return hashlib.sha256(canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


def seal(entry: Json, prev_hash: str) -> dict[str, Any]:
    """The entry as stored: with `prev_hash` and its own `hash`."""
    sealed = {**entry, "prev_hash": prev_hash}
    sealed["hash"] = entry_hash(sealed)
    return sealed


def checkpoint_message(checkpoint: Json) -> bytes:
    """The signed bytes: everything but the signature itself."""
    return canonical({k: checkpoint[k] for k in ("tenant_id", "seq", "hash", "at", "key_id", "prev_signature")})


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
    lines = [canonical(header).decode()]
    lines += [line_of("entry", entry) for entry in entries]
    lines += [line_of("checkpoint", checkpoint) for checkpoint in checkpoints]
    return "\n".join(lines) + "\n"


def line_of(kind: str, record: Json) -> str:
    return canonical({"type": kind, **record}).decode()


def next_entry(fields: Json, seq: int, prev_hash: str) -> dict[str, Any]:
    """The stored form of a new entry: its fields (tenant_id, at, actor, action, target, before, after, outcome,
    reasons, dry_run), its place in the chain and its hash."""
    return seal({**fields, "seq": seq, "reasons": list(fields.get("reasons") or ())}, prev_hash)
