"""Scheduled retraining over fakes, on a small generated archive of scraped prices: the candidate is stored (never
activated by training), passes every ValidateModel check, carries its comparison; it is promoted only when it beats
the active model on the newest held-out window (a retrained model equal to the active one does not); the
RetrainModel state machine routes a rejection or a loss to KeptAsCandidate and only a win to Promote."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from cloudoptim.adapters.day_zero import load_day_zero, shipped_data_dir
from cloudoptim.errors import InvalidArgumentError
from cloudoptim.models import registry
from cloudoptim.models.ports import ModelStatus
from cloudoptim.models.registry import RegistryDeps
from cloudoptim.models.retrain import PROMOTION_MARGIN, RetrainInputs, merged_history, newest_window
from cloudoptim.models.validation import CHECKS, GOLDEN_FILE, ValidationSettings, golden_rows, run_check
from cloudoptim.pricing.ports import SpotPoint
from cloudoptim.settings import RetrainSettings as RetrainEnv
from engines.spot.model import PoolKey, PriceHistory, PriceSeries
from functions.model_registry import handler as registry_fn
from functions.retrain_model import handler as retrain_fn
from tests.fakes.models import FakeArtifacts, FakeRegistryStore

START = 1_640_995_200  # 2022-01-01
DAYS = 24
NOW = START + DAYS * 86400
ZONES = ("euw1-az1", "euw1-az2", "euw1-az3")
TYPES = ("m5.large", "m5.xlarge", "m5.2xlarge", "c5.large", "c5.xlarge")
ASL = Path(__file__).resolve().parents[2] / "statemachines" / "retrain_model.asl.json"
ENV = RetrainEnv.from_env(
    {"REGISTRY_TABLE": "r", "MODEL_BUCKET": "m", "PRICE_ARCHIVE_BUCKET": "a", "RETRAIN_WINDOW_DAYS": "30",
     "RETRAIN_GRID_HOURS": "2"}
)  # fmt: skip


def points(seed: int = 3) -> list[SpotPoint]:
    """24 days of 15 pools (AZ IDs, as the scraper archives them): small moves and 6% spikes now and then."""
    rng = np.random.default_rng(seed)
    found = []
    for name in TYPES:
        base = {"large": 0.04, "xlarge": 0.08, "2xlarge": 0.16}[name.split(".")[1]]
        for zone in ZONES:
            price, t = base, START
            while t < NOW:
                price *= 1 + rng.normal(0, 0.004)
                found.append(SpotPoint(zone, name, round(price, 5), t))
                if rng.random() < 0.05:
                    found += [SpotPoint(zone, name, round(price * 1.06, 5), t + 3600),
                              SpotPoint(zone, name, round(price, 5), t + 4 * 3600)]  # fmt: skip
                    t += 4 * 3600
                t += int(rng.integers(3600, 3 * 3600))
    return found


@dataclass
class FakeArchive:
    stored: list[SpotPoint] = field(default_factory=list)
    reads: list[tuple[str, int, int]] = field(default_factory=list)

    def spot(self, region: str, start: int, end: int) -> list[SpotPoint]:
        self.reads.append((region, start, end))
        return [p for p in self.stored if start <= p.at < end]


@pytest.fixture(scope="module")
def inputs() -> RetrainInputs:
    data = load_day_zero()
    golden = golden_rows(shipped_data_dir() / GOLDEN_FILE)
    return RetrainInputs(None, data.on_demand, data.advisor, FakeArchive(points()), golden)


def test_the_archive_tops_up_the_shipped_history() -> None:
    data = load_day_zero()
    shipped = data.price_history("eu-west-1")
    assert shipped is not None and shipped.last_time() is not None
    later = int(shipped.last_time() or 0) + 3600
    key = next(iter(shipped.series))
    zone = shipped.az_ids.get(key.availability_zone, key.availability_zone)  # AZ ID where the data maps the name
    merged = merged_history("eu-west-1", shipped, [SpotPoint(zone, key.instance_type, 1.23, later)])
    assert merged.last_time() == later and len(merged.series) == len(shipped.series)
    [series] = [
        s for k, s in merged.series.items() if (k.instance_type, k.availability_zone) == (key.instance_type, zone)
    ]
    assert len(series) == len(shipped.series[key]) + 1 and float(series.prices[-1]) == 1.23


def test_the_newest_window_starts_every_pool_at_its_start() -> None:
    """A pool whose price last changed long before (the shipped Day-Zero days under months of archive) is priced from
    the window's start: it once stretched the training grid back years, where no sample was unstable."""
    quiet, busy = PoolKey("m5.large", "euw1-az1"), PoolKey("c5.large", "euw1-az2")
    history = PriceHistory("eu-west-1", {quiet: PriceSeries(np.array([0, 100]), np.array([0.1, 0.2])),
                                         busy: PriceSeries(np.array([1000, 5000, 9000]), np.array([0.3, 0.4, 0.5]))},
                           {})  # fmt: skip
    window = newest_window(history, 4000)
    assert window.series[quiet].times.tolist() == [4000] and window.series[quiet].prices.tolist() == [0.2]
    assert window.series[busy].times.tolist() == [4000, 5000, 9000]
    assert window.series[busy].prices.tolist() == [0.3, 0.4, 0.5]
    assert min(int(s.times[0]) for s in window.series.values()) == 4000


def test_retraining_stores_a_valid_candidate_and_promotes_only_a_winner(inputs: RetrainInputs) -> None:
    d = RegistryDeps(artifacts=FakeArtifacts(), store=FakeRegistryStore())
    first = retrain_fn.handle({"region": "eu-west-1"}, d, inputs, ENV, NOW)
    state = d.store.load()
    record = state.models[first["model_id"]]
    assert state.active is None and record.status is ModelStatus.UPLOADED  # training never activates
    assert record.name == "retrained-eu-west-1-20220125" and record.uploaded_by == "schedule:retrain"
    assert record.evaluation == first["comparison"] and "newest held-out window" in first["comparison"]
    assert "the heuristic's best rule" in first["comparison"]
    metadata = json.loads(d.artifacts.get(record.id)["metadata.json"])
    assert metadata["sources"]["prices"] == f"shipped + {sum(p.at <= NOW for p in points())} archived points"

    settings = ValidationSettings(inputs.golden)
    checks = tuple(run_check(name, d.artifacts.get(record.id), settings) for name in CHECKS)
    assert [c.name for c in checks if not c.passed] == []  # what ValidateModel runs, each check alone
    registry.record_checks(d, record.id, checks)
    registry_fn.handle({"action": "promote", "model_id": record.id, "actor": "schedule:retrain"}, d, NOW)
    assert d.store.load().active == record.id and d.store.load().events[-1].action == "promote"

    # A week later the same prices give the same trees: equal AUC is not a win by PROMOTION_MARGIN.
    again = retrain_fn.handle({"region": "eu-west-1"}, d, inputs, ENV, NOW + 7 * 86400)
    assert again["model_id"] != record.id and again["beats"] is False
    assert f"vs active model {record.id}" in again["comparison"] and f"margin {PROMOTION_MARGIN}" in again["comparison"]
    assert again["comparison"].endswith("kept as a candidate")
    assert d.store.load().active == record.id


def test_too_little_data_is_a_clear_refusal(inputs: RetrainInputs) -> None:
    d = RegistryDeps(artifacts=FakeArtifacts(), store=FakeRegistryStore())
    short = RetrainInputs(None, inputs.on_demand, inputs.advisor, FakeArchive(), inputs.golden)
    with pytest.raises(InvalidArgumentError, match="cannot retrain for eu-west-1: no prices for eu-west-1"):
        retrain_fn.handle({"region": "eu-west-1"}, d, short, ENV, NOW)
    assert d.store.load().models == {}


def test_the_state_machine_promotes_only_a_validated_winner() -> None:
    machine = json.loads(ASL.read_text())
    states = machine["States"]
    assert machine["StartAt"] == "Retrain" and states["Retrain"]["Next"] == "Validate"
    validate = states["Validate"]
    assert validate["Resource"] == "arn:aws:states:::states:startExecution.sync:2"  # waits for ValidateModel's verdict
    assert validate["Parameters"]["StateMachineArn"] == "${ValidateModelArn}"
    assert validate["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.validation_error",
                                  "Next": "KeptAsCandidate"}]  # fmt: skip
    assert states["Beats"]["Choices"] == [{"Variable": "$.retrain.beats", "BooleanEquals": True, "Next": "Promote"}]
    assert states["Beats"]["Default"] == "KeptAsCandidate"
    assert states["Promote"]["Parameters"]["action"] == "promote"
    into_promote = [
        n for n, s in states.items() if "Promote" in json.dumps({k: v for k, v in s.items() if k != "Type"})
    ]
    assert into_promote == ["Beats"]
