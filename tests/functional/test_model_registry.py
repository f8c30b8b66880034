"""The model registry over in-memory fakes: refusals with their reasons, isolated checks, activation and rollback
as choices see them (the model id in every choice's reasons), shadow scoring that never decides."""

from __future__ import annotations

import hashlib
import json
import pickle
from typing import Any

import numpy as np
import pytest

from cloudoptim.adapters.day_zero import load_day_zero, shipped_data_dir
from cloudoptim.adapters.market import DayZeroMarket
from cloudoptim.errors import InvalidArgumentError, ModelRefusedError, TransientAwsError
from cloudoptim.interruptions.choose import ChooseDeps
from cloudoptim.models import registry
from cloudoptim.models.ports import ModelStatus, ShadowEntry
from cloudoptim.models.registry import RegistryDeps
from cloudoptim.models.scoring import RegistryModels
from cloudoptim.models.validation import CHECKS, GOLDEN_FILE, ValidationSettings, golden_rows, run_check
from functions.choose_replacement import handler as choose_fn
from functions.model_registry import handler as registry_fn
from tests.fakes.models import FakeArtifacts, FakeRegistryStore, FakeShadowLog
from tests.functional.test_drain_fakes import NOW, state
from tests.support.pipeline import world

SHIPPED = shipped_data_dir() / "models" / "eu-west-1-2022q1"
OPERATOR = "operator:ml@cloudoptim.example"


def shipped_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in SHIPPED.iterdir()}


def with_metadata(**changes: Any) -> dict[str, bytes]:
    files = shipped_files()
    metadata = json.loads(files["metadata.json"])
    metadata.update(changes)
    return {**files, "metadata.json": json.dumps(metadata).encode()}


def deps() -> RegistryDeps:
    return RegistryDeps(artifacts=FakeArtifacts(), store=FakeRegistryStore())


@pytest.fixture(scope="module")
def checks() -> ValidationSettings:
    return ValidationSettings(golden_rows(shipped_data_dir() / GOLDEN_FILE))


def validated(d: RegistryDeps, name: str, files: dict[str, bytes], settings: ValidationSettings) -> str:
    record = registry.upload(d, name, files, OPERATOR, NOW)
    results = tuple(run_check(check, d.artifacts.get(record.id), settings) for check in CHECKS)
    assert registry.record_checks(d, record.id, results).status is ModelStatus.VALIDATED, results
    return record.id


def test_a_pickle_is_refused_with_a_clear_reason() -> None:
    d = deps()
    files = {"model.pkl": pickle.dumps({"trees": []}), "metadata.json": shipped_files()["metadata.json"]}
    with pytest.raises(ModelRefusedError, match=r"refusing model\.pkl: .*model\.txt \(LightGBM text\).*pickles"):
        registry.upload(d, "candidate", files, OPERATOR, NOW)
    smuggled = {**shipped_files(), "model.txt": pickle.dumps("trees")}
    with pytest.raises(ModelRefusedError, match=r"model\.txt: is a pickle, not a LightGBM text model"):
        registry.upload(d, "candidate", smuggled, OPERATOR, NOW)
    assert isinstance(d.artifacts, FakeArtifacts) and d.artifacts.objects == {}  # nothing stored
    assert d.store.load().models == {}


def test_a_wrong_contract_is_refused_with_the_reason() -> None:
    d = deps()
    with pytest.raises(ModelRefusedError, match=r"model contract version 2, this CloudOptim reads version 1"):
        registry.upload(d, "candidate", with_metadata(contract_version=2), OPERATOR, NOW)
    names = json.loads(shipped_files()["metadata.json"])["feature_names"]
    swapped = [names[1], names[0], *names[2:]]
    with pytest.raises(ModelRefusedError, match=r"same features in another order \(position 0: 'price_vs_mean_7d'\)"):
        registry.upload(d, "candidate", with_metadata(feature_names=swapped), OPERATOR, NOW)
    assert d.store.load().models == {}


def test_a_retried_upload_keeps_one_record_and_survives_a_lost_race() -> None:
    d = deps()
    store = d.store
    assert isinstance(store, FakeRegistryStore)
    store.conflicts = 2  # two other writers win first; the upload re-reads and still lands
    first = registry.upload(d, "shipped", shipped_files(), OPERATOR, NOW)
    again = registry.upload(d, "shipped", shipped_files(), OPERATOR, NOW + 60)
    assert first == again and list(store.load().models) == [first.id]
    assert first.id.startswith("shipped-") and first.status is ModelStatus.UPLOADED


def test_each_check_passes_for_the_shipped_model(checks: ValidationSettings) -> None:
    results = [run_check(name, shipped_files(), checks) for name in CHECKS]
    assert [r.name for r in results if not r.passed] == [], results


def test_golden_drift_and_a_slow_model_are_rejected_with_reasons(checks: ValidationSettings) -> None:
    golden = json.loads(shipped_files()["metadata.json"])["golden_scores"]
    drifted = with_metadata(golden_scores=[s + 0.01 for s in golden])
    result = run_check("golden_set", drifted, checks)
    assert not result.passed and "golden scores differ by up to 1.00e-02" in result.detail
    ticks = iter(np.arange(0, 100, 0.5))  # each scoring "takes" 500 ms on this clock
    slow = ValidationSettings(checks.golden, clock=lambda: float(next(ticks)))
    result = run_check("latency", shipped_files(), slow)
    assert not result.passed and "takes 500.0 ms, budget 250 ms" in result.detail


def test_an_unvalidated_or_rejected_model_cannot_be_activated(checks: ValidationSettings) -> None:
    d = deps()
    record = registry.upload(d, "shipped", shipped_files(), OPERATOR, NOW)
    with pytest.raises(InvalidArgumentError, match="is uploaded: only validated models score"):
        registry.activate(d, record.id, OPERATOR, NOW)
    failed = (run_check("latency", shipped_files(), ValidationSettings(checks.golden, latency_budget_ms=-1)),)
    assert registry.record_checks(d, record.id, failed).status is ModelStatus.REJECTED
    with pytest.raises(InvalidArgumentError, match=r"is rejected \(latency: scoring 64 rows"):
        registry.activate(d, record.id, OPERATOR, NOW)


@pytest.fixture(scope="module")
def market() -> DayZeroMarket:
    return DayZeroMarket(load_day_zero())


def choose(d: RegistryDeps, market: DayZeroMarket, models: RegistryModels, now: int) -> dict[str, Any]:
    w = world()
    return choose_fn.handle(state(), ChooseDeps(w.registry, w.hive, market, models), now)


def test_activate_then_roll_back_changes_what_choices_use(checks: ValidationSettings, market: DayZeroMarket) -> None:
    d = deps()
    models = RegistryModels(d.store, d.artifacts, market.data, FakeShadowLog(), state_ttl=0)
    before = choose(d, market, models, NOW)
    assert before["model"] == "heuristic" and "risk: heuristic (no model active in the registry)" in before["reasons"]

    first = validated(d, "shipped", shipped_files(), checks)
    registry.activate(d, first, OPERATOR, NOW)
    with_first = choose(d, market, models, NOW)
    assert with_first["model"] == first and f"risk model {first}" in with_first["reasons"]
    assert any(f"model {first}: P(Spot price rises" in r for r in with_first["reasons"])

    retrained = dict(shipped_files())
    retrained["model.txt"] += b"\n"  # the same trees under another id: a stand-in for a retrained model
    metadata = json.loads(retrained["metadata.json"])
    metadata["model_sha256"] = hashlib.sha256(retrained["model.txt"]).hexdigest()
    retrained["metadata.json"] = json.dumps(metadata).encode()
    second = validated(d, "retrained", retrained, checks)
    registry_fn.handle({"action": "activate", "model_id": second, "actor": OPERATOR}, d, NOW + 1)
    assert choose(d, market, models, NOW + 1)["model"] == second

    answer = registry_fn.handle({"action": "rollback", "actor": OPERATOR}, d, NOW + 2)
    assert answer["active"] == first
    assert choose(d, market, models, NOW + 2)["model"] == first
    registry.rollback(d, OPERATOR, NOW + 3)
    assert choose(d, market, models, NOW + 3)["model"] == "heuristic"
    with pytest.raises(InvalidArgumentError, match="nothing to roll back to"):
        registry.rollback(d, OPERATOR, NOW + 4)
    assert [e.action for e in d.store.load().events] == ["activate", "activate", "rollback", "rollback"]


def test_a_shadow_candidate_is_scored_and_stored_without_deciding(
    checks: ValidationSettings, market: DayZeroMarket
) -> None:
    d = deps()
    log = FakeShadowLog()
    models = RegistryModels(d.store, d.artifacts, market.data, log, state_ttl=0)
    candidate = validated(d, "shipped", shipped_files(), checks)
    registry.set_shadow(d, candidate, OPERATOR, NOW)
    choice = choose(d, market, models, NOW)
    assert choice["model"] == "heuristic"  # the candidate never decides
    [entry] = log.entries(candidate)
    assert entry.active == "heuristic" and entry.candidate == candidate and entry.region == "us-east-1"
    assert entry.active_pool == f"{choice['instance_type']}@{choice['az_id']}"


class BrokenShadowLog(FakeShadowLog):
    def record(self, entry: ShadowEntry) -> None:
        raise TransientAwsError("shadow entry PutItem: throttled")


def test_a_failing_shadow_candidate_never_changes_or_stops_the_choice(
    checks: ValidationSettings, market: DayZeroMarket
) -> None:
    d = deps()
    active = validated(d, "shipped", shipped_files(), checks)
    registry.activate(d, active, OPERATOR, NOW)
    alone = choose(d, market, RegistryModels(d.store, d.artifacts, market.data, FakeShadowLog(), state_ttl=0), NOW)
    retrained = dict(shipped_files())
    retrained["model.txt"] += b"\n"
    metadata = json.loads(retrained["metadata.json"])
    metadata["model_sha256"] = hashlib.sha256(retrained["model.txt"]).hexdigest()
    retrained["metadata.json"] = json.dumps(metadata).encode()
    registry.set_shadow(d, validated(d, "candidate", retrained, checks), OPERATOR, NOW)
    broken = RegistryModels(d.store, d.artifacts, market.data, BrokenShadowLog(), state_ttl=0)
    assert choose(d, market, broken, NOW) == alone  # same pick, same reasons, active model named


def test_a_validation_verdict_from_the_state_machine_is_recorded(checks: ValidationSettings) -> None:
    d = deps()
    record = registry.upload(d, "shipped", shipped_files(), OPERATOR, NOW)
    results = {name: run_check(name, shipped_files(), checks).model_dump() for name in ("contract", "checksum")}
    answer = registry_fn.handle({"action": "record", "model_id": record.id, "checks": results}, d, NOW)
    assert answer["status"] == "validated" and [c["name"] for c in answer["checks"]] == ["contract", "checksum"]


def test_the_shipped_model_directory_holds_exactly_what_uploads_accept() -> None:
    assert {p.name for p in SHIPPED.iterdir()} == set(registry.ACCEPTED_FILES)
