"""The model registry's admin routes over in-memory fakes: only a platform operator (an admin in the Cognito group
`cloudoptim-operators`) reads or changes the global models; refusals carry their reason and store nothing; upload,
validation, activation and rollback through the API change what replacement choices use; every change is audited in
the operator's tenant log; the shadow report judges a shadowed choice by the interruptions recorded after it."""

from __future__ import annotations

import base64
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from cloudoptim.adapters.day_zero import load_day_zero, shipped_data_dir
from cloudoptim.adapters.market import DayZeroMarket
from cloudoptim.interruptions.choose import ChooseDeps
from cloudoptim.models import registry
from cloudoptim.models.ports import Interruption
from cloudoptim.models.scoring import RegistryModels
from cloudoptim.models.validation import CHECKS, GOLDEN_FILE, ValidationSettings, golden_rows, run_check
from functions.choose_replacement import handler as choose_fn
from tests.fakes.aws import FakeAudit
from tests.fakes.models import FakeInterruptions, FakeShadowLog, FakeValidations
from tests.functional.test_drain_fakes import state
from tests.support.api import ApiWorld, api_world
from tests.support.pipeline import world

SHIPPED = shipped_data_dir() / "models" / "eu-west-1-2022q1"
MODELS = "/v1/admin/models"


def body(name: str, files: dict[str, bytes]) -> dict[str, Any]:
    return {"name": name, "files": {n: base64.b64encode(b).decode() for n, b in files.items()}}


def shipped() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in SHIPPED.iterdir()}


@pytest.fixture
def api(tmp_path: Path) -> ApiWorld:
    return api_world(tmp_path)


@pytest.fixture(scope="module")
def market() -> DayZeroMarket:
    return DayZeroMarket(load_day_zero())


def finish_validation(api: ApiWorld, model_id: str) -> None:
    """What the ValidateModel state machine does once started: each check alone, then the verdict recorded."""
    settings = ValidationSettings(golden_rows(shipped_data_dir() / GOLDEN_FILE))
    files = api.models.registry.artifacts.get(model_id)
    registry.record_checks(api.models.registry, model_id, tuple(run_check(c, files, settings) for c in CHECKS))


def choice(api: ApiWorld, market: DayZeroMarket, log: FakeShadowLog | None = None) -> dict[str, Any]:
    d = api.models.registry
    models = RegistryModels(d.store, d.artifacts, market.data, log or FakeShadowLog(), state_ttl=0)
    w = world()
    return choose_fn.handle(state(), ChooseDeps(w.registry, w.hive, market, models), int(api.clock.now))


@pytest.mark.parametrize(
    ("who", "detail"),
    [
        ("tenant admin", "only an admin in the cloudoptim-operators group"),
        ("operator viewer", "only an admin in the cloudoptim-operators group"),
    ],
)
def test_only_a_platform_operator_admin_reaches_the_registry(api: ApiWorld, who: str, detail: str) -> None:
    headers = api.headers("alpha") if who == "tenant admin" else api.platform_operator(role="viewer")
    for method, path, payload in [
        ("GET", MODELS, None),
        ("POST", MODELS, body("shipped", shipped())),
        ("POST", f"{MODELS}/rollback", None),
        ("POST", f"{MODELS}/shadow", {"model_id": None}),
    ]:
        answer = api.client.request(method, path, json=payload, headers=headers)
        assert answer.status_code == 403 and detail in answer.json()["detail"], (method, path, answer.text)
    assert api.models.registry.store.load().models == {}


def test_a_pickle_and_a_wrong_contract_are_refused_with_the_reason(api: ApiWorld) -> None:
    operator = api.platform_operator()
    pickled = {"model.pkl": pickle.dumps({"trees": []}), "metadata.json": shipped()["metadata.json"]}
    answer = api.client.post(MODELS, json=body("candidate", pickled), headers=operator)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert "refusing model.pkl" in answer.json()["detail"] and "pickles are never loaded" in answer.json()["detail"]

    metadata = json.loads(shipped()["metadata.json"])
    other = {**shipped(), "metadata.json": json.dumps({**metadata, "contract_version": 2}).encode()}
    answer = api.client.post(MODELS, json=body("candidate", other), headers=operator)
    assert answer.status_code == 422
    assert "model contract version 2, this CloudOptim reads version 1" in answer.json()["detail"]

    answer = api.client.post(MODELS, json={"name": "x", "files": {"model.txt": "%%%"}}, headers=operator)
    assert answer.status_code == 422 and answer.json()["errors"] == [
        {"field": "files.model.txt", "message": "not base64"}
    ]
    assert api.models.registry.store.load().models == {}
    audit = api.tenancy.audit
    assert isinstance(audit, FakeAudit)
    refused = [e for e in audit.documents("cloudoptim") if e["action"] == "model.upload"]
    assert [e["outcome"] for e in refused] == ["refused", "refused"]  # the base64 error never reached the registry


def test_upload_validate_activate_and_roll_back_change_what_choices_use(api: ApiWorld, market: DayZeroMarket) -> None:
    operator = api.platform_operator()
    assert choice(api, market)["model"] == "heuristic"

    uploaded = api.client.post(MODELS, json=body("shipped", shipped()), headers=operator)
    assert uploaded.status_code == 201, uploaded.text
    model_id = uploaded.json()["id"]
    assert uploaded.json()["status"] == "uploaded" and uploaded.headers["location"] == f"{MODELS}/{model_id}"
    refused = api.client.post(f"{MODELS}/{model_id}/activate", headers=operator)
    assert refused.status_code == 422 and "only validated models score" in refused.json()["detail"]

    started = api.client.post(f"{MODELS}/{model_id}/validate", headers=operator)
    assert started.status_code == 202 and started.json() == {"model_id": model_id, "execution": "started"}
    again = api.client.post(f"{MODELS}/{model_id}/validate", headers=operator).json()
    assert again["execution"] == "duplicate"
    validations = api.models.validations
    assert isinstance(validations, FakeValidations) and validations.started == [model_id]
    finish_validation(api, model_id)
    read = api.client.get(f"{MODELS}/{model_id}", headers=operator).json()
    assert read["status"] == "validated" and [c["name"] for c in read["checks"]] == list(CHECKS)

    activated = api.client.post(f"{MODELS}/{model_id}/activate", headers=operator).json()
    assert activated["active"] == model_id and activated["rollback_to"] == "heuristic"
    used = choice(api, market)
    assert used["model"] == model_id and f"risk model {model_id}" in used["reasons"]

    rolled = api.client.post(f"{MODELS}/rollback", headers=operator).json()
    assert rolled["active"] == "heuristic" and rolled["rollback_to"] is None
    assert choice(api, market)["model"] == "heuristic"
    nothing = api.client.post(f"{MODELS}/rollback", headers=operator)
    assert nothing.status_code == 422 and "nothing to roll back to" in nothing.json()["detail"]

    listed = api.client.get(MODELS, headers=operator).json()
    assert [e["action"] for e in listed["events"]] == ["activate", "rollback"]
    assert [m["id"] for m in listed["models"]] == [model_id]
    audit = api.tenancy.audit
    assert isinstance(audit, FakeAudit)
    logged = [(e["action"], e["reasons"]) for e in audit.documents("cloudoptim") if e["action"].startswith("model.")]
    assert logged == [
        ("model.upload", []), ("model.validate", ["ValidateModel started"]),
        ("model.validate", ["ValidateModel duplicate"]), ("model.activate", []), ("model.rollback", []),
    ]  # fmt: skip
    assert all(e["actor"] == "user:admin@cloudoptim.example" for e in audit.documents("cloudoptim"))


def test_the_shadow_report_judges_a_shadowed_choice_by_later_interruptions(
    api: ApiWorld, market: DayZeroMarket
) -> None:
    operator = api.platform_operator()
    model_id = api.client.post(MODELS, json=body("shipped", shipped()), headers=operator).json()["id"]
    finish_validation(api, model_id)
    shadowed = api.client.post(f"{MODELS}/shadow", json={"model_id": model_id}, headers=operator).json()
    assert shadowed["shadow"] == model_id and shadowed["active"] == "heuristic"

    log = api.models.shadow_log
    assert isinstance(log, FakeShadowLog)
    decided = choice(api, market, log)
    assert decided["model"] == "heuristic"  # the candidate never decides
    [entry] = log.entries(model_id)
    assert entry.active_pool == f"{decided['instance_type']}@{decided['az_id']}" and entry.chosen_at == api.clock.now
    assert entry.active_scores == {} and set(entry.candidate_scores) == {entry.active_pool, entry.candidate_pool}

    early = api.client.get(f"{MODELS}/{model_id}/shadow-report", headers=operator).json()
    assert (early["entries"], early["judged"], early["pending"]) == (1, 0, 1)
    interruptions = api.models.interruptions
    assert isinstance(interruptions, FakeInterruptions)
    chosen = int(api.clock.now)
    interruptions.recorded.append((entry.region, Interruption(pool=entry.active_pool, at=chosen + 3600)))
    api.clock.now += 13 * 3600
    report = api.client.get(f"{MODELS}/{model_id}/shadow-report", headers=operator).json()
    assert (report["judged"], report["pending"], report["positives"]) == (1, 0, 1)
    assert report["interrupted_picks"]["active"] == 1.0
    assert report["samples"]["active"] == 0 and report["brier"]["active"] is None  # the heuristic scores nothing
    assert report["samples"]["candidate"] == len(entry.candidate_scores)
    assert report["verdict"].startswith("the heuristic decided")
    short = api.client.get(f"{MODELS}/{model_id}/shadow-report?horizon_hours=0.5", headers=operator).json()
    assert short["positives"] == 0  # the interruption came after a half-hour horizon
