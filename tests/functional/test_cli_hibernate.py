"""`cloudoptim hibernate preview`: the JSON contract in UTC with local times, DST in both directions, holidays,
pre-warm, and errors that name the problem (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main

SCHEDULE = Path(__file__).parent.parent / "fixtures" / "hibernation" / "office-paris.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def preview(capsys: pytest.CaptureFixture[str], start: str, days: int) -> list[dict[str, str]]:
    code, out, err = run(capsys, "hibernate", "preview", "--schedule", str(SCHEDULE), "--from", start,
                         "--days", str(days), "--format", "json")  # fmt: skip
    assert code == 0, err
    body = json.loads(out)
    assert list(body) == ["transitions"]
    assert all(set(t) == {"at", "action", "local"} and t["at"].endswith("Z") for t in body["transitions"])
    transitions: list[dict[str, str]] = body["transitions"]
    return transitions


def test_preview_across_the_spring_change_keeps_local_times_and_prewarm(capsys: pytest.CaptureFixture[str]) -> None:
    found = preview(capsys, "2026-03-27T00:00:00Z", 4)
    assert [(t["at"], t["action"]) for t in found] == [
        ("2026-03-27T06:30:00Z", "wake"),  # 08:00 CET less 30 min pre-warm
        ("2026-03-27T18:00:00Z", "sleep"),
        ("2026-03-30T05:30:00Z", "wake"),  # 08:00 CEST less 30 min
        ("2026-03-30T17:00:00Z", "sleep"),
    ]
    assert [t["local"][11:] for t in found] == ["07:30:00+01:00", "19:00:00+01:00", "07:30:00+02:00", "19:00:00+02:00"]


def test_preview_across_the_autumn_change_and_new_year_holiday(capsys: pytest.CaptureFixture[str]) -> None:
    autumn = preview(capsys, "2026-10-23T00:00:00Z", 4)
    assert [t["at"] for t in autumn if t["action"] == "sleep"] == ["2026-10-23T17:00:00Z", "2026-10-26T18:00:00Z"]
    new_year = preview(capsys, "2026-12-31T00:00:00Z", 5)
    days = sorted({t["local"][:10] for t in new_year})
    assert days == ["2026-12-31", "2027-01-04"]  # 1 January is a holiday, then the weekend


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "yesterday"], "--from"),
        (["--from", "2026-01-01", "--days", "0"], "--days"),
        (["--from", "2026-01-01", "--schedule", "/nonexistent.json"], "cannot read the schedule"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    args = ["hibernate", "preview", "--schedule", str(SCHEDULE), *argv]
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "" and message in err


def test_a_schedule_with_a_bad_field_is_refused_by_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"timezone": "Europe/Paris", "awake": {"mon": [["19:00", "08:00"]]}}))
    code, _, err = run(capsys, "hibernate", "preview", "--schedule", str(bad), "--from", "2026-01-01")
    assert code == 2 and "awake" in err and "start before it ends" in err
