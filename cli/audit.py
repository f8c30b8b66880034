"""`cloudoptim audit verify FILE`: check an export of `GET /v1/audit/export` (exit 0 intact, 1 tampered)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cloudoptim.audit.verify import verify_export
from cloudoptim.errors import InputFileError

EXIT_TAMPERED = 1


class TamperedError(Exception):
    """The export does not verify; the message names the first bad entry or checkpoint."""


def add_commands(areas: Any) -> None:
    audit = areas.add_parser("audit", help="the tamper-evident audit log")
    commands = audit.add_subparsers(dest="command", required=True, metavar="COMMAND")
    verify = commands.add_parser("verify", help="verify an audit export: the hash chain and signed checkpoints")
    verify.add_argument("file", type=Path, help="NDJSON from GET /v1/audit/export")
    verify.add_argument(
        "--public-key",
        action="append",
        default=[],
        metavar="ID=PEM_FILE",
        help="pin a checkpoint key (repeatable); without it the export's own keys are trusted, which proves the "
        "chain but not who signed it",
    )
    verify.set_defaults(run=run_verify)


def run_verify(args: argparse.Namespace) -> str:
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {args.file}: {exc}") from exc
    keys = _pinned(args.public_key) if args.public_key else None
    intact, found = verify_export(text, keys)
    if not intact:
        raise TamperedError(f"{args.file}: NOT intact: {found}")
    trust = "pinned keys" if keys else "the export's own keys (pin with --public-key to prove the signer)"
    return f"{args.file}: intact: {found}; signatures checked against {trust}"


def _pinned(values: list[str]) -> dict[str, str]:
    keys = {}
    for value in values:
        key_id, _, path = value.partition("=")
        if not key_id or not path:
            raise InputFileError(f"--public-key {value!r}: expected ID=PEM_FILE")
        try:
            keys[key_id] = Path(path).read_text()
        except OSError as exc:
            raise InputFileError(f"cannot read public key {path}: {exc}") from exc
    return keys
