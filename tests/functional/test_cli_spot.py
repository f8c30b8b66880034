"""The `cloudoptim spot` commands end to end on the shipped Day-Zero data and small generated files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main

SHAPE = ["--region", "eu-west-1", "--vcpus", "4", "--memory-gib", "16"]
POOL_FIELDS = {
    "instance_type",
    "availability_zone",
    "spot_price",
    "on_demand_price",
    "advisor_bucket",
    "risk",
    "yield_score",
    "reasons",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rank_json_contract_on_shipped_data(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "spot",
        "rank",
        *SHAPE,
        "--top",
        "5",
        "--format",
        "json",
    )
    assert code == 0
    body = json.loads(out)
    assert body["region"] == "eu-west-1" and body["at"].endswith("Z")
    assert 1 <= len(body["pools"]) <= 5
    for pool in body["pools"]:
        assert set(pool) >= POOL_FIELDS
        assert pool["spot_price"] < pool["on_demand_price"]
        assert pool["reasons"]
    scores = [p["yield_score"] for p in body["pools"]]
    assert scores == sorted(scores, reverse=True)
    assert all(r["reason"] for r in body["rejected"])


def test_rank_in_a_region_without_listed_on_demand_prices_says_it_derived_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, "spot", "rank", "--region", "eu-central-1", "--vcpus", "2", "--memory-gib", "8", "--format", "json"
    )
    assert code == 0
    pools = json.loads(out)["pools"]
    assert pools and all(any("derived" in r for r in p["reasons"]) for p in pools)


def test_plan_json_contract_and_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "spot",
        "plan",
        *SHAPE,
        "--nodes",
        "20",
        "--format",
        "json",
    )
    assert code == 0
    body = json.loads(out)
    slots = body["slots"]
    assert len(slots) == 20
    assert all(POOL_FIELDS | {"capacity_type"} <= set(s) for s in slots)
    spot = [s for s in slots if s["capacity_type"] == "spot"]
    assert len(slots) - len(spot) >= 3
    assert len({s["availability_zone"] for s in spot}) >= 3
    per_pool: dict[tuple[str, str], int] = {}
    for s in spot:
        key = (s["instance_type"], s["availability_zone"])
        per_pool[key] = per_pool.get(key, 0) + 1
    assert max(per_pool.values()) <= 4


def test_table_output_explains_the_best_pool(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "spot", "rank", "--region", "eu-west-1", "--vcpus", "2", "--memory-gib", "4")
    assert code == 0
    assert "Why #1" in out and "pools rejected" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--region", "mars-north-1", "--vcpus", "4", "--memory-gib", "16"], "unknown region 'mars-north-1'"),
        (["--region", "eu-west-1", "--vcpus", "1024", "--memory-gib", "16"], "no instance type"),
        (
            [*SHAPE, "--prices", "/nonexistent.tsv"],
            "/nonexistent.tsv",
        ),
        ([*SHAPE, "--at", "yesterday"], "--at"),
        (["--region", "eu-west-1", "--vcpus", "-1", "--memory-gib", "16"], "vcpus"),
    ],
)
def test_errors_are_one_clear_line(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, out, err = run(capsys, "spot", "rank", *argv)
    assert code == 2 and out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


def _price_file(tmp_path: Path) -> Path:
    """Ten days of two pools per zone, one of which spikes 10% every other day at noon."""
    rows = []
    start = 1_640_995_200  # 2022-01-01
    for day in range(10):
        for zone in ("eu-west-1a", "eu-west-1b", "eu-west-1c"):
            t = start + day * 86400
            stamp = _iso(t)
            rows.append(f"SPOTINSTANCEPRICE\t0.0700\t{stamp}\tm5.xlarge\tLinux/UNIX\t{zone}")
            rows.append(f"SPOTINSTANCEPRICE\t0.0600\t{stamp}\tm6i.xlarge\tLinux/UNIX\t{zone}")
            if day % 2:
                rows.append(f"SPOTINSTANCEPRICE\t0.0660\t{_iso(t + 43200)}\tm6i.xlarge\tLinux/UNIX\t{zone}")
                rows.append(f"SPOTINSTANCEPRICE\t0.0600\t{_iso(t + 50400)}\tm6i.xlarge\tLinux/UNIX\t{zone}")
    path = tmp_path / "prices.tsv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _iso(t: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def test_backtest_json_contract(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    prices = _price_file(tmp_path)
    code, out, err = run(
        capsys,
        "spot",
        "backtest",
        "--prices",
        str(prices),
        *SHAPE,
        "--nodes",
        "5",
        "--policy",
        "cheapest",
        "--start",
        "2022-01-02T00:00:00Z",
        "--format",
        "json",
    )
    assert code == 0, err
    body = json.loads(out)
    assert {
        "policy",
        "node_hours",
        "on_demand_cost",
        "spot_cost",
        "savings_pct",
        "instability_events",
        "events_per_1000_node_hours",
    } <= set(body)
    assert body["policy"] == "cheapest"
    # From day 1 00:00 to the last price (day 9 14:00): 206 h for 5 nodes, all on the cheapest pool.
    assert body["node_hours"] == pytest.approx(5 * 206)
    assert body["instability_events"] == 5  # m6i.xlarge rises 10% at noon on days 1, 3, 5, 7 and 9


def test_backtest_refuses_an_inverted_window(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(
        capsys,
        "spot",
        "backtest",
        "--prices",
        str(_price_file(tmp_path)),
        *SHAPE,
        "--nodes",
        "5",
        "--policy",
        "yield",
        "--start",
        "2022-01-05",
        "--end",
        "2022-01-03",
        "--format",
        "json",
    )
    assert code == 2 and "--end must be after --start" in err


AWS_CLI = Path(__file__).resolve().parents[1] / "fixtures" / "aws-cli"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "spot-price-history-suse-windows.txt",
            "no Linux/UNIX spot prices (found: SUSE Linux (2 rows), Windows (1 rows))",
        ),
        ("spot-price-history-windows.json", "found: Red Hat Enterprise Linux (1 rows), Windows (1 rows)"),
    ],
)
def test_price_files_without_linux_rows_say_so(capsys: pytest.CaptureFixture[str], name: str, message: str) -> None:
    path = AWS_CLI / name  # `aws ec2 describe-spot-price-history --output text|json`, non-Linux products only
    code = main(["spot", "rank", "--region", "us-east-1", "--vcpus", "2", "--memory-gib", "4", "--prices", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and str(path) in err and message in err and "unknown region" not in err


def test_an_empty_price_file_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "prices.txt"
    path.write_text("")
    code = main(["spot", "rank", "--region", "us-east-1", "--vcpus", "2", "--memory-gib", "4", "--prices", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "the file is empty" in err and "unknown region" not in err


def test_only_previous_generation_types_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "spot",
        "rank",
        "--region",
        "eu-west-1",
        "--vcpus",
        "2",
        "--memory-gib",
        "4",
        "--types",
        "m4.large,c4.large",
    ]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and "only previous-generation types" in err and "m4.large" in err
    assert "--allow-previous-generation" in err
    assert main([*argv, "--allow-previous-generation"]) == 0
