"""`cloudoptim events classify` on EventBridge events in AWS's documented shapes (tests/fixtures/events, our own ids,
account, times and instances), and the ingest Lambda taking the same decision for each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from functions.ingest.handler import Root, handle
from tests.support.pipeline import POLICY, sqs_batch, world

EVENTS = Path(__file__).parent.parent / "fixtures" / "events"
NOW = "2025-11-30T02:34:00Z"  # 40 s after the fixtures' events
NOW_EPOCH = 1_764_470_040
EXPECTED = {  # file -> (action per instance, words of the first reason)
    "spot-interruption-warning.json": ({"i-0b662ef9931388ba0": "drain_now"}, "Spot interruption warning"),
    "spot-interruption-warning-old.json": ({"i-0b662ef9931388ba0": "ignore"}, "86440 s old"),
    "spot-interruption-warning-test-source.json": ({"i-0b662ef9931388ba0": "ignore"}, "test event"),
    "rebalance-recommendation.json": ({"i-0b662ef9931388ba0": "replace_then_drain"}, "rebalance recommendation"),
    "state-change-stopping.json": ({"i-0b662ef9931388ba0": "record"}, "instance is stopping"),
    "state-change-running.json": ({"i-0b662ef9931388ba0": "ignore"}, "state 'running' needs no action"),
    "health-scheduled-change.json": ({"i-0b662ef9931388ba0": "replace_then_drain"}, "AWS Health scheduled change"),
    "health-issue.json": ({"i-0b662ef9931388ba0": "ignore"}, "category 'issue' is not a scheduled change"),
    "health-account-notification.json": ({"i-0b662ef9931388ba0": "ignore"}, "'accountNotification'"),
    "health-closed.json": ({"i-0b662ef9931388ba0": "ignore"}, "AWS Health event is closed"),
    "health-rds.json": ({}, "AWS Health event for RDS, not EC2"),
    "health-two-instances-one-resolved.json": (
        {"i-0b662ef9931388ba0": "replace_then_drain", "i-0c0ffee0c0ffee001": "ignore"},
        "AWS Health scheduled change",
    ),
}


def classify_json(capsys: pytest.CaptureFixture[str], *files: Path, now: str = NOW) -> dict[str, Any]:
    code = main(["events", "classify", *map(str, files), "--now", now, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_event_gets_its_action_and_reason(capsys: pytest.CaptureFixture[str], name: str) -> None:
    actions, reason = EXPECTED[name]
    result = classify_json(capsys, EVENTS / name)
    assert result["rejected"] == []
    event = json.loads((EVENTS / name).read_text())
    found = {i: d["action"] for d in result["decisions"] for i in d["instance_ids"]}
    assert found == actions
    assert all(set(d) == {"event_id", "detail_type", "instance_ids", "action", "reasons"} for d in result["decisions"])
    assert all(d["event_id"] == event["id"] and d["detail_type"] == event["detail-type"] for d in result["decisions"])
    assert reason in result["decisions"][0]["reasons"][0]


def test_sqs_batches_and_malformed_events(capsys: pytest.CaptureFixture[str]) -> None:
    result = classify_json(capsys, EVENTS / "sqs-batch.json", EVENTS / "malformed-no-instance-id.json")
    assert [d["action"] for d in result["decisions"]] == ["replace_then_drain", "drain_now"]
    [bad] = result["rejected"]
    assert (
        bad["event_id"] == "e5b4a0b6-9c8d-4a0c-bf57-6b1c5f4a3e11"
        and "detail.instance-id: Field required" in (bad["reason"])
    )


def test_max_age_is_an_option(capsys: pytest.CaptureFixture[str]) -> None:
    spot = EVENTS / "spot-interruption-warning.json"
    code = main(["events", "classify", str(spot), "--now", NOW, "--max-age-seconds", "30", "--format", "json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["decisions"][0]["action"] == "ignore"


def test_a_file_that_is_not_events_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text("{oops")
    assert main(["events", "classify", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "not JSON" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ingest_takes_the_same_decision(capsys: pytest.CaptureFixture[str], name: str) -> None:
    """The Lambda starts a workflow exactly for the instances `events classify` does not ignore."""
    event = json.loads((EVENTS / name).read_text())
    acting = {i for i, action in EXPECTED[name][0].items() if action != "ignore"}
    shown = {i for d in classify_json(capsys, EVENTS / name)["decisions"] if d["action"] != "ignore"
             for i in d["instance_ids"]}  # fmt: skip
    assert shown == acting
    w = world()
    assert handle(sqs_batch(event), Root(w.ingest_deps(), POLICY, w.redelivery), NOW_EPOCH) == {"batchItemFailures": []}
    started = {payload["instance_id"] for payload in w.executions.started.values()}
    assert started == acting & {"i-0b662ef9931388ba0"}  # the one instance the registry knows
    assert bool(w.hive.writes) == ("drain_now" in EXPECTED[name][0].values())
