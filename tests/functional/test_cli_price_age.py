"""Every decision the command line makes with prices says how old they are: Spot rank and plan, consolidation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main

CLUSTER = Path(__file__).parent.parent / "fixtures" / "cluster-small.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(list(argv)) == 0
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    return result


def test_rank_and_plan_reasons_carry_the_age_of_their_prices(capsys: pytest.CaptureFixture[str]) -> None:
    ranked = run(capsys, "spot", "rank", "--region", "eu-west-1", "--vcpus", "4", "--memory-gib", "16", "--top", "3",
                 "--format", "json")  # fmt: skip
    for pool in ranked["pools"]:  # type: ignore[attr-defined]
        assert (
            "Spot prices as of 2022-07-11T22:07:41Z (" in pool["reasons"][-2]
            and "shipped, stale" in pool["reasons"][-2]
        )
        assert pool["reasons"][-1].startswith("On-Demand prices as of 2026-09-04T00:00:00Z (")
    at = run(capsys, "spot", "rank", "--region", "eu-west-1", "--vcpus", "4", "--memory-gib", "16", "--top", "1",
             "--at", "2022-07-11T23:07:41Z", "--format", "json")  # fmt: skip
    assert "(1 h old, shipped)" in at["pools"][0]["reasons"][-2]  # type: ignore[index]
    planned = run(capsys, "spot", "plan", "--region", "eu-west-1", "--vcpus", "4", "--memory-gib", "16", "--nodes", "4",
                  "--format", "json")  # fmt: skip
    text = json.dumps(planned)
    assert text.count("Spot prices as of 2022-07-11T22:07:41Z") >= 2  # the fleet and each Spot slot


def test_consolidation_actions_say_how_old_their_prices_are(capsys: pytest.CaptureFixture[str]) -> None:
    plan = run(capsys, "consolidate", "--cluster", str(CLUSTER), "--format", "json")
    actions = plan["actions"]
    assert actions and all(any(r.startswith("Spot prices as of") for r in a["reasons"]) for a in actions)  # type: ignore[attr-defined]
    assert all(any(r.startswith("On-Demand prices as of 2026-09-04") for r in a["reasons"]) for a in actions)  # type: ignore[attr-defined]
