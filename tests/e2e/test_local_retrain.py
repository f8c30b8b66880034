"""`cloudoptim local retrain` as a user runs it (its own process): the RetrainModel state machine end to end on the
local stack, on the real eu-west-1 Spot prices of Dec 2021 - Mar 2022 archived as the scraper would (skipped when
../shared/data is absent). Training, the nested ValidateModel, and the promotion rule: against the active model the
candidate is promoted only when it wins by the margin; against the heuristic (ChangeModel rolls the active model back
first) it wins and the Promote step makes it the active model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PRICES = (Path(__file__).resolve().parents[3] / "shared" / "data" / "spot-price-history" / "eu-west-1"
          / "eu-west-1_90d_2021-12-13_to_2022-03-13.tsv.xz")  # fmt: skip


def retrain(*options: str) -> dict[str, Any]:
    if not PRICES.is_file():
        pytest.skip(f"../shared/data not found: {PRICES}")
    command = [sys.executable, "-m", "cli.main", "local", "retrain", "--prices", str(PRICES), *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["status"] == "SUCCEEDED", report
    assert report["archived_points"] > 100_000 and report["archive_files"] >= 90  # one file per archived day
    assert report["validation"] == ["SUCCEEDED"] and report["candidate_status"] == "validated"
    assert report["checks_passed"] == report["checks"] >= 5
    assert report["comparison"].startswith("newest held-out window")
    return report


def test_against_the_active_model_it_is_promoted_only_when_it_wins_by_the_margin() -> None:
    report = retrain()
    assert "vs active model" in report["comparison"]
    # on these prices it scores 0.985 against the shipped model's 0.983, inside the 0.005 margin: kept
    assert report["promoted"] is report["beats"]
    assert report["active_after"] == (report["model_id"] if report["beats"] else report["active_before"])
    assert ("kept as a candidate" in report["comparison"]) is not report["beats"]


def test_against_the_heuristic_the_retrained_model_wins_and_is_promoted() -> None:
    report = retrain("--from-heuristic")
    assert report["active_before"] is None  # ChangeModel rolled the shipped model back
    assert report["beats"] is True and report["promoted"] is True and report["active_after"] == report["model_id"]
    assert "the heuristic's best rule" in report["comparison"]
