"""Verify an audit export: the hash chain, then each checkpoint's ECDSA signature (KMS ECC_NIST_P256 with
ECDSA_SHA_256, DER-encoded, hex in the export) against trusted public keys, then that each checkpoint signed the
entry that is there now. Truncation after the last checkpoint cannot be detected (as with CloudTrail's digests)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cloudoptim.audit.chain import EXPORT_FORMAT, Json, checkpoint_message, first_problem, line_of


def checkpoint_problem(
    checkpoints: Sequence[Json], entries: Sequence[Json], public_keys: Mapping[str, str]
) -> str | None:
    """The first checkpoint that does not verify against the keys and the entries, or None."""
    previous = ""
    for index, checkpoint in enumerate(checkpoints):
        where = f"checkpoint {index + 1} (seq {checkpoint.get('seq')})"
        key = public_keys.get(str(checkpoint.get("key_id")))
        if key is None:
            return f"{where}: signed by unknown key {checkpoint.get('key_id')!r}"
        if checkpoint.get("prev_signature") != previous:
            return f"{where}: does not chain to the previous checkpoint"
        if not verify_signature(key, checkpoint_message(checkpoint), str(checkpoint.get("signature", ""))):
            return f"{where}: signature does not verify"
        seq = int(checkpoint["seq"])
        if seq > len(entries):
            return f"{where}: entries after seq {len(entries)} are missing (the checkpoint signed seq {seq})"
        if entries[seq - 1].get("hash") != checkpoint.get("hash"):
            return f"{where}: entry {seq} is not the one that was signed"
        previous = str(checkpoint["signature"])
    return None


def verify_signature(public_key_pem: str, message: bytes, signature_hex: str) -> bool:
    """ECDSA P-256 / SHA-256 over `message`; False for any malformed key or signature."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return False
        key.verify(bytes.fromhex(signature_hex), message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def verify_export(text: str, trusted_keys: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """(intact, what was found). Keys come from `trusted_keys` when given, else from the export's own header."""
    rows = text.splitlines()
    try:
        header = json.loads(rows[0]) if rows else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != EXPORT_FORMAT:
        return False, f"line 1: not a {EXPORT_FORMAT} export header"
    parsed = _records(rows[1:])
    if isinstance(parsed, str):
        return False, parsed
    entries, lines, checkpoints = parsed
    problem = first_problem(entries, lines)
    if problem is None and header.get("entries") != len(entries):
        problem = f"the header counts {header.get('entries')} entries, the export has {len(entries)}"
    keys = trusted_keys if trusted_keys is not None else header.get("public_keys") or {}
    problem = problem or checkpoint_problem(checkpoints, entries, keys)
    if problem:
        return False, problem
    signed = max((int(c["seq"]) for c in checkpoints), default=0)
    found = f"{len(entries)} entries chained intact, {len(checkpoints)} checkpoints verified"
    return True, f"{found} (last signed seq {signed})"


def _records(rows: Sequence[str]) -> tuple[list[dict[str, Any]], list[int], list[dict[str, Any]]] | str:
    """Entries (with their line numbers) and checkpoints, or the first line that is not as it was exported."""
    entries: list[dict[str, Any]] = []
    lines: list[int] = []
    checkpoints: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=2):
        where = f"entry {len(entries) + 1} (line {number})" if not checkpoints else f"line {number}"
        try:
            item = json.loads(row)
        except ValueError:
            return f"{where}: not valid JSON (changed after export)"
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in ("entry", "checkpoint") or row != line_of(
            str(kind), {k: v for k, v in item.items() if k != "type"}
        ):
            return f"{where}: not as exported (changed after export)"
        record = {k: v for k, v in item.items() if k != "type"}
        if kind == "checkpoint":
            checkpoints.append(record)
        elif checkpoints:
            return f"line {number}: an entry after the checkpoints (reordered)"
        else:
            entries.append(record)
            lines.append(number)
    return entries, lines, checkpoints
