"""`cloudoptim waste scan` on AWS CLI-format files (tests/fixtures/waste, README there): the JSON contract, every
kind with its cost figures, ignore tags and graces, a second run that needs the first-seen record, flow logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli.main import main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "waste"
FIRST, LATER = "2026-06-15T12:00:00Z", "2026-06-23T12:00:00Z"  # 8 days apart: past the 7-day grace


def scan(capsys: pytest.CaptureFixture[str], state: Path, now: str, *extra: str) -> dict[str, Any]:
    code = main([
        "waste", "scan", "--instances", str(FIXTURES / "describe-instances.json"),
        "--volumes", str(FIXTURES / "describe-volumes.json"), "--addresses", str(FIXTURES / "describe-addresses.json"),
        "--clusters", str(FIXTURES / "prod.json"), str(FIXTURES / "staging.json"),
        "--region", "eu-west-1", "--now", now, "--state", str(state), "--format", "json", *extra,
    ])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    report: dict[str, Any] = json.loads(out)
    assert set(report) == {"findings", "monthly_waste", "not_assessed"}
    for finding in report["findings"]:
        assert set(finding) == {"kind", "resource_id", "monthly_cost", "reasons", "action"}
    return report


def costs(report: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {(f["kind"], f["resource_id"]): f["monthly_cost"] for f in report["findings"]}


def test_first_run_finds_ghosts_and_public_ipv4_and_records_first_seen(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    report = scan(capsys, state, FIRST)
    assert costs(report) == {
        ("ghost_instance", "i-0c3ghost00000003"): 156.22,  # m5.xlarge $0.214/h x 730 h
        ("ghost_instance", "i-0d4spot000000004"): 102.93,  # r5.large $0.141/h x 730 h
        ("unused_public_ipv4", "eipalloc-0aa1free000000001"): 3.65,  # $0.005/h x 730 h
        ("unused_public_ipv4", "i-0a1node000000001:54.170.10.11"): 3.65,
    }
    assert report["monthly_waste"] == 266.45
    assert (
        report["not_assessed"][0]["kind"] == "cross_az_traffic" and "--flow-logs" in report["not_assessed"][0]["reason"]
    )
    recorded = json.loads(state.read_text())["first_seen"]
    assert recorded == {"vol-0a11pvc00000001": FIRST, "vol-0b22gp200000002": FIRST}  # idle, not yet past the grace
    ghost = next(f for f in report["findings"] if f["resource_id"] == "i-0c3ghost00000003")
    assert any("cluster old-staging, which is not registered" in r for r in ghost["reasons"])
    spot = next(f for f in report["findings"] if f["resource_id"] == "i-0d4spot000000004")
    assert any("upper bound" in r for r in spot["reasons"])


def test_a_second_run_needs_the_first_seen_record_to_find_zombie_volumes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    scan(capsys, state, FIRST)
    later = scan(capsys, state, LATER)
    assert costs(later)[("zombie_volume", "vol-0b22gp200000002")] == 55.0  # 500 GiB gp2 x $0.11
    assert costs(later)[("zombie_volume", "vol-0a11pvc00000001")] == 8.8  # 100 GiB gp3 x $0.088
    assert costs(later)[("ghost_instance", "i-0e5young0000005")] == 33.29  # now 8 days old: t3.medium $0.0456/h
    assert later["monthly_waste"] == 363.54
    pvc = next(f for f in later["findings"] if f["resource_id"] == "vol-0a11pvc00000001")
    assert pvc["action"] == "snapshot-and-delete"
    assert any("PVC shop/data-db-0 (PV pvc-5f1c2d3e" in r for r in pvc["reasons"])
    assert any(f"unattached since at least {FIRST} (8 days)" in r for r in pvc["reasons"])
    assert any("snapshot kept before deleting costs at most $5.00/month" in r for r in pvc["reasons"])
    # Without the record, the same files at the same time find no zombie: AWS keeps no "unattached since".
    fresh = scan(capsys, tmp_path / "fresh.json", LATER)
    assert not [f for f in fresh["findings"] if f["kind"] == "zombie_volume"]


def test_ignore_tags_backup_volumes_attached_graces_and_stopped_instances_are_left_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    scan(capsys, state, FIRST)
    found = {f["resource_id"] for f in scan(capsys, state, LATER)["findings"]}
    for quiet in ("i-0f6bastion00006", "i-0a7stopped00007", "i-0a1node000000001", "vol-0c33used0000003",
                  "vol-0d44keep0000004", "vol-0e55backup00005", "eipalloc-0bb2used000000002",
                  "eipalloc-0cc3ignored00003"):  # fmt: skip
        assert quiet not in found
    assert not any(r.startswith("i-0b2node") for r in found)  # its public address is an associated Elastic IP


def test_a_volume_attached_again_loses_its_record(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    scan(capsys, state, FIRST)
    volumes = json.loads((FIXTURES / "describe-volumes.json").read_text())
    for volume in volumes["Volumes"]:
        if volume["VolumeId"] == "vol-0b22gp200000002":
            volume["State"] = "in-use"
            volume["Attachments"] = [{"InstanceId": "i-0a1node000000001", "State": "attached"}]
    changed = tmp_path / "volumes.json"
    changed.write_text(json.dumps(volumes))
    code = main(["waste", "scan", "--instances", str(FIXTURES / "describe-instances.json"), "--volumes", str(changed),
                 "--addresses", str(FIXTURES / "describe-addresses.json"), "--clusters", str(FIXTURES / "prod.json"),
                 "--region", "eu-west-1", "--now", LATER, "--state", str(state)])  # fmt: skip
    capsys.readouterr()
    assert code == 0
    assert set(json.loads(state.read_text())["first_seen"]) == {"vol-0a11pvc00000001"}


def test_flow_logs_cost_cross_az_traffic_between_nodes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = scan(capsys, tmp_path / "state.json", LATER, "--flow-logs", str(FIXTURES / "flow-logs.txt"))
    crossing = [f for f in report["findings"] if f["kind"] == "cross_az_traffic"]
    assert [(f["resource_id"], f["monthly_cost"], f["action"]) for f in crossing] == [
        ("i-0a1node000000001<->i-0b2node000000002", 3.65, "co-locate")  # 6 GiB x 2 sides x $0.01 x 730 h / 24 h
    ]
    assert "6.00 GiB" in crossing[0]["reasons"][0] and "24.0 h" in crossing[0]["reasons"][0]
    assert report["not_assessed"] == [
        {"kind": "cross_az_traffic", "reason": "1 flow record(s) to or from addresses outside the scanned instances "
         "were not costed"}
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("swap", "message"),
    [
        ({"--volumes": "describe-addresses.json"}, "expected a 'Volumes' list"),
        ({"--region": "Ireland"}, "--region"),
        ({"--now": "soon"}, "--now"),
    ],
)
def test_bad_input_exits_2_and_writes_no_state(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, swap: dict[str, str], message: str
) -> None:
    options = {
        "--instances": str(FIXTURES / "describe-instances.json"),
        "--volumes": str(FIXTURES / "describe-volumes.json"),
        "--addresses": str(FIXTURES / "describe-addresses.json"),
        "--region": "eu-west-1",
        "--now": FIRST,
    }
    for key, value in swap.items():
        options[key] = str(FIXTURES / value) if value.endswith(".json") else value
    state = tmp_path / "state.json"
    argv = ["waste", "scan", "--clusters", str(FIXTURES / "prod.json"), "--state", str(state)]
    code = main(argv + [part for pair in options.items() for part in pair])
    _, err = capsys.readouterr()
    assert code == 2 and message in err and not state.exists()
