"""Rightsizing on Bitbrains July 2013 (skipped when ../shared/data is absent): the E3 goal as a regression guard.

Recommend from the first 14 days, score on the remaining 16 (benchmarks/rightsizing.py prints the figures). The
first run parses the 0.45 GB month (~10 s on 2 cores) and caches it in benchmarks/results/.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from benchmarks.rightsizing import evaluate
from benchmarks.traces.bitbrains import DAY, JULY, BitbrainsTrace, load, write_prometheus
from cli.main import main
from engines.rightsizing.policy import RightsizePolicy
from engines.rightsizing.recommend import rightsize
from engines.rightsizing.registry import get_strategy

pytestmark = pytest.mark.evaluation


@cache
def trace() -> BitbrainsTrace:
    if not JULY.exists():
        pytest.skip(f"../shared/data not found: {JULY}")
    return load()


@cache
def report() -> dict[str, Any]:
    return evaluate(trace())


def scores(scoring: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    rows = report()["scores"][scoring]
    return rows["cloudoptim"], rows["krr-simple"], rows["vpa-target"]


def test_every_vm_with_enough_history_is_scored() -> None:
    assert report()["vms"] == 500
    assert 400 <= report()["scored_vms"] <= 500


def test_goal_at_least_krrs_reduction_with_at_most_half_its_memory_overruns() -> None:
    """On the samples before an owner resized the VM (the configuration the recommendation was made for)."""
    ours, krr, _ = scores("unresized")
    assert ours["combined_cost_reduction_pct"] >= krr["combined_cost_reduction_pct"]
    assert ours["mean_reduction_pct"] >= krr["mean_reduction_pct"]
    assert ours["memory_overrun_samples"] <= 0.5 * krr["memory_overrun_samples"]
    assert ours["cpu_overrun_pct"] < krr["cpu_overrun_pct"]


def test_on_every_held_out_sample_still_more_reduction_and_fewer_overruns_than_krr() -> None:
    ours, krr, vpa = scores("all")
    assert ours["combined_cost_reduction_pct"] >= krr["combined_cost_reduction_pct"]
    assert ours["memory_overrun_samples"] < 0.75 * krr["memory_overrun_samples"]
    assert ours["cpu_overrun_pct"] < krr["cpu_overrun_pct"]
    assert ours["memory_overrun_samples"] < vpa["memory_overrun_samples"] / 3


def test_the_cli_on_converted_files_answers_what_the_engine_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    month = trace()
    start, cut = month.start, month.start + 14 * DAY
    five = BitbrainsTrace(month.vms[:5])
    cpu, memory, workloads = write_prometheus(five, tmp_path, start, cut)
    code = main(["rightsize", "--cpu-usage", str(cpu), "--memory-usage", str(memory), "--workloads", str(workloads),
                 "--format", "json"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    usage, inventory = five.engine_inputs(start, cut)
    direct = rightsize(usage, inventory, RightsizePolicy(), get_strategy())
    cli = json.loads(out)["recommendations"]
    assert [r["pod"] for r in cli] == [r.pod for r in direct.recommendations]
    for mine, theirs in zip(cli, direct.recommendations, strict=True):
        assert mine["cpu_request_cores"] == theirs.cpu_request_cores
        assert mine["memory_request_bytes"] == theirs.memory_request_bytes
