"""The audit export is tamper-evident: any changed, removed, inserted or reordered entry is found and named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudoptim.audit.chain import checkpoint_message, entry_hash, export_lines
from cloudoptim.audit.log import GENESIS, AuditEntry, canonical, seal, stored
from cloudoptim.audit.verify import verify_export
from localmode.signer import LocalSigner


def log(count: int) -> list[dict[str, object]]:
    """Entries as the audit log stores them (cloudoptim.audit.log.seal), as readers get them."""
    entries: list[dict[str, object]] = []
    for seq in range(1, count + 1):
        entry = AuditEntry(
            "acme", f"api-{seq}", "user:a@acme.example", 1_780_000_000 + seq, "cluster.create", {"cluster": f"c{seq}"},
            None, {"name": f"c{seq}", "région": "eu-west-1"}, "ok", (), False,
        )  # fmt: skip
        sealed = seal(entry, seq, str(entries[-1]["hash"]) if entries else GENESIS)
        entries.append(stored(sealed.body, sealed.hash))
    return entries


def rechain(entry: dict[str, object], seq: int, prev_hash: str) -> dict[str, object]:
    """What an attacker who rewrites the log would do: new prev_hash, recomputed hash."""
    body = {k: v for k, v in entry.items() if k != "hash"} | {"seq": seq, "prev_hash": prev_hash}
    return {**body, "hash": entry_hash(body)}


def signed(signer: LocalSigner, entries: list[dict[str, object]], at_seqs: list[int]) -> list[dict[str, object]]:
    checkpoints: list[dict[str, object]] = []
    for seq in at_seqs:
        unsigned = {
            "tenant_id": "acme",
            "seq": seq,
            "hash": entries[seq - 1]["hash"],
            "at": 1_780_100_000 + seq,
            "key_id": signer.key_id,
            "prev_signature": checkpoints[-1]["signature"] if checkpoints else "",
        }
        checkpoints.append({**unsigned, "signature": signer.sign(checkpoint_message(unsigned))})
    return checkpoints


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> LocalSigner:
    return LocalSigner.load(tmp_path_factory.mktemp("keys"))


def export(signer: LocalSigner, count: int = 6, at_seqs: tuple[int, ...] = (3, 6)) -> str:
    entries = log(count)
    return export_lines("acme", entries, signed(signer, entries, list(at_seqs)), signer.public_keys())


def test_an_intact_export_verifies(signer: LocalSigner) -> None:
    intact, found = verify_export(export(signer))
    assert intact, found
    assert found.startswith("6 entries chained intact, 2 checkpoints verified")


def test_removed_reordered_and_inserted_entries_are_named(signer: LocalSigner) -> None:
    lines = export(signer).splitlines()
    removed = lines[:3] + lines[4:]
    reordered = [*lines[:2], lines[3], lines[2], *lines[4:]]
    assert verify_export("\n".join(removed))[1].startswith("entry 3")
    assert verify_export("\n".join(reordered))[1].startswith("entry 2")


def test_truncation_before_the_last_checkpoint_is_found(signer: LocalSigner) -> None:
    lines = export(signer).splitlines()
    header = json.loads(lines[0])
    header["entries"] = 4
    truncated = [canonical(header), *lines[1:5], *lines[7:]]  # entries 5 and 6 gone, header adjusted
    intact, found = verify_export("\n".join(truncated))
    assert not intact and "missing" in found


def test_a_rewritten_chain_fails_its_signed_checkpoint(signer: LocalSigner) -> None:
    """An attacker who edits entry 2 and recomputes every later hash still cannot re-sign the checkpoints."""
    entries = log(6)
    checkpoints = signed(signer, entries, [3, 6])
    entries[1] = {**entries[1], "actor": "user:mallory@evil.example"}
    for index in range(1, 6):
        entries[index] = rechain(entries[index], index + 1, str(entries[index - 1]["hash"]))
    intact, found = verify_export(export_lines("acme", entries, checkpoints, signer.public_keys()))
    assert not intact and found.startswith("checkpoint 1")


def test_a_pinned_key_defeats_a_swapped_key(signer: LocalSigner, tmp_path: Path) -> None:
    forger = LocalSigner.load(tmp_path)
    entries = log(6)
    forged = export_lines("acme", entries, signed(forger, entries, [6]), forger.public_keys())
    assert verify_export(forged)[0]  # the export's own (forged) key verifies it...
    intact, found = verify_export(forged, trusted_keys=signer.public_keys())
    assert not intact and "unknown key" in found  # ...a pinned key does not


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_changed_byte_of_an_entry_is_found(signer: LocalSigner, data: st.DataObject) -> None:
    text = export(signer)
    lines = text.splitlines()
    line = data.draw(st.integers(min_value=1, max_value=6), label="entry line")
    position = data.draw(st.integers(min_value=0, max_value=len(lines[line]) - 1), label="byte")
    old = lines[line][position]
    new = data.draw(st.characters(codec="ascii").filter(lambda c: c != old), label="new")
    lines[line] = lines[line][:position] + new + lines[line][position + 1 :]
    intact, found = verify_export("\n".join(lines) + "\n")
    assert not intact
    assert found.startswith(f"entry {line} "), found
