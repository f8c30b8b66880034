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

from cloudoptim.audit.chain import EXPORT_FORMAT, Json, checkpoint_message, first_problem


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
    if not rows:
        return False, "empty export"
    try:
        header = json.loads(rows[0])
    except ValueError:
        return False, "line 1: the header is not JSON"
    if not isinstance(header, dict) or header.get("format") != EXPORT_FORMAT:
        return False, f"line 1: not a {EXPORT_FORMAT} export"
    entries: list[dict[str, Any]] = []
    lines: list[int] = []
    checkpoints: list[dict[str, Any]] = []
    for number, row in enumerate(rows[1:], start=2):
        try:
            item = json.loads(row)
        except ValueError:
            return False, f"entry {len(entries) + 1} (line {number}): not valid JSON (changed after export)"
        kind = item.pop("type", None) if isinstance(item, dict) else None
        if kind == "entry":
            entries.append(item)
            lines.append(number)
        elif kind == "checkpoint":
            checkpoints.append(item)
        else:
            return False, f"line {number}: neither an entry nor a checkpoint"
    if header.get("entries") != len(entries):
        problem = first_problem(entries, lines)
        return False, problem or f"the header counts {header.get('entries')} entries, the export has {len(entries)}"
    problem = first_problem(entries, lines) or checkpoint_problem(
        checkpoints, entries, trusted_keys if trusted_keys is not None else header.get("public_keys") or {}
    )
    if problem:
        return False, problem
    signed = max((int(c["seq"]) for c in checkpoints), default=0)
    return (
        True,
        f"{len(entries)} entries chained intact, {len(checkpoints)} checkpoints verified (last signed seq {signed})",
    )
