"""`cloudoptim ml train|evaluate` and `spot rank|backtest --model` end to end on a small generated price file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cli.main import main

START = 1_640_995_200  # 2022-01-01T00:00:00Z
DAYS = 24
TYPES = ("m5.large", "m5.xlarge", "m5.2xlarge", "c5.large", "c5.xlarge")
BASE = {"large": 0.04, "xlarge": 0.08, "2xlarge": 0.16}
SHAPE = ["--region", "eu-west-1", "--vcpus", "2", "--memory-gib", "4"]


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def write_prices(path: Path, seed: int = 3) -> Path:
    """24 days of 15 pools: a price record every ~2 h with small moves, and 6% spikes lasting 3 h now and then."""
    rng = np.random.default_rng(seed)
    rows = []
    for name in TYPES:
        for zone in ("eu-west-1a", "eu-west-1b", "eu-west-1c"):
            price, t = BASE[name.split(".")[1]], START
            while t < START + DAYS * 86400:
                price *= 1 + rng.normal(0, 0.004)
                rows.append(f"SPOTINSTANCEPRICE\t{price:.5f}\t{_iso(t)}\t{name}\tLinux/UNIX\t{zone}")
                if rng.random() < 0.05:
                    rows.append(f"SPOTINSTANCEPRICE\t{price * 1.06:.5f}\t{_iso(t + 3600)}\t{name}\tLinux/UNIX\t{zone}")
                    rows.append(f"SPOTINSTANCEPRICE\t{price:.5f}\t{_iso(t + 4 * 3600)}\t{name}\tLinux/UNIX\t{zone}")
                    t += 4 * 3600
                t += int(rng.integers(3600, 3 * 3600))
    path.write_text("\n".join(rows) + "\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Train once for the module (a few seconds): 2-hour grid, 20 rounds, one thread."""
    root = tmp_path_factory.mktemp("ml")
    prices = write_prices(root / "prices.tsv")
    argv = ["ml", "train", "--prices", str(prices), "--out", str(root / "model"), "--grid-hours", "2"]
    assert main([*argv, "--max-rounds", "20", "--threads", "1", "--format", "json"]) == 0
    return prices, root / "model"


def test_train_writes_the_text_model_and_metadata(trained: tuple[Path, Path]) -> None:
    _, model = trained
    assert sorted(p.name for p in model.iterdir()) == ["metadata.json", "model.txt"]
    metadata = json.loads((model / "metadata.json").read_text())
    assert metadata["region"] == "eu-west-1" and 0 < metadata["threshold"] < 1
    assert set(metadata["baselines"]) == {"advisor_bucket", "recent_volatility", "family_stress"}
    assert metadata["split"]["train"][1] < metadata["split"]["validation"][0] < metadata["split"]["test"][0]


def test_train_prints_metrics_and_progress(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    prices = write_prices(tmp_path / "prices.tsv", seed=5)
    code, out, err = run(
        capsys, "ml", "train", "--prices", str(prices), "--out", str(tmp_path / "m"), "--grid-hours", "3",
        "--max-rounds", "5", "--threads", "1",
    )  # fmt: skip
    assert code == 0, err
    assert "model written to" in out and "baseline: recent_volatility" in out
    assert "training" in err and "100%" in err


def test_evaluate_json_contract_on_a_window(capsys: pytest.CaptureFixture[str], trained: tuple[Path, Path]) -> None:
    prices, model = trained
    code, out, err = run(
        capsys, "ml", "evaluate", "--model", str(model), "--prices", str(prices),
        "--start", "2022-01-15T00:00:00Z", "--end", "2022-01-20T00:00:00Z", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    body = json.loads(out)
    assert set(body) == {"auc", "precision", "recall", "f1", "threshold", "n", "positives", "baselines"}
    assert body["n"] == 15 * 5 * 24  # every pool, every hour of [start, end)
    assert 0 < body["positives"] < body["n"]
    assert 0.5 < body["auc"] <= 1
    for scores in body["baselines"].values():
        assert set(scores) == {"auc", "precision", "recall", "f1"}


def test_rank_with_a_model_says_the_model_gave_the_risk(
    capsys: pytest.CaptureFixture[str], trained: tuple[Path, Path]
) -> None:
    prices, model = trained
    code, out, err = run(
        capsys, "spot", "rank", *SHAPE, "--prices", str(prices), "--model", str(model), "--format", "json"
    )
    assert code == 0, err
    pools = json.loads(out)["pools"]
    assert pools and all(any("by the model strategy" in r for r in p["reasons"]) for p in pools)
    assert all(p["risk"] <= 0.85 for p in pools)


def test_backtest_model_policy(capsys: pytest.CaptureFixture[str], trained: tuple[Path, Path]) -> None:
    prices, model = trained
    code, out, err = run(
        capsys, "spot", "backtest", *SHAPE, "--prices", str(prices), "--nodes", "4", "--policy", "model",
        "--model", str(model), "--start", "2022-01-10T00:00:00Z", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    body = json.loads(out)
    assert body["policy"] == "model" and body["node_hours"] > 0 and body["savings_pct"] > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["spot", "backtest", *SHAPE, "--nodes", "2", "--policy", "model"], "--policy model needs --model"),
        (["spot", "rank", *SHAPE, "--model", "/nonexistent/model"], "no such model directory"),
        (["ml", "evaluate", "--model", "/nonexistent/model", "--prices", "x.tsv"], "no such model directory"),
        (["ml", "train", "--prices", "/nonexistent.tsv", "--out", "/tmp/never"], "/nonexistent.tsv"),
    ],
)
def test_errors_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], trained: tuple[Path, Path], argv: list[str], message: str
) -> None:
    prices, _ = trained
    argv = [str(prices) if a == "x.tsv" else a for a in argv]
    if argv[:2] == ["spot", "backtest"]:
        argv += ["--prices", str(prices)]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_training_on_too_little_data_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    prices = tmp_path / "short.tsv"
    prices.write_text(f"SPOTINSTANCEPRICE\t0.05\t{_iso(START)}\tm5.large\tLinux/UNIX\teu-west-1a\n")
    code, _, err = run(capsys, "ml", "train", "--prices", str(prices), "--out", str(tmp_path / "m"))
    assert code == 2 and "cannot train on these prices" in err.strip().splitlines()[-1]


def test_rank_with_the_shipped_model_on_the_shipped_prices(capsys: pytest.CaptureFixture[str]) -> None:
    shipped = Path(__file__).resolve().parents[2] / "layers" / "cloudoptim" / "data" / "models" / "eu-west-1-2022q1"
    code, out, err = run(capsys, "spot", "rank", *SHAPE, "--top", "3", "--model", str(shipped), "--format", "json")
    assert code == 0, err
    pools = json.loads(out)["pools"]
    assert len(pools) == 3 and all(any("model eu-west-1-2022q1" in r for r in p["reasons"]) for p in pools)
