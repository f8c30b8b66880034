"""Lambda `validate_model`: one check of a candidate model, in isolation (it may read the artifact bucket and
nothing else; it writes nowhere). Each state of the ValidateModel state machine invokes it for one check.

Event: `{"model_id": "...", "check": "contract|feature_order|checksum|golden_set|latency"}`.
Result: `{"name", "passed", "detail"}` (a failed check is a result, not an error: the state machine routes it).
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from cloudoptim.adapters.day_zero import shipped_data_dir
from cloudoptim.models.ports import ArtifactStore
from cloudoptim.models.validation import GOLDEN_FILE, ValidationSettings, golden_rows, run_check
from cloudoptim.observability import instrumented
from cloudoptim.settings import ValidateSettings
from cloudoptim.wiring import stores


class CheckRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    model_id: str
    check: str


@dataclass(frozen=True)
class ValidateDeps:
    artifacts: ArtifactStore
    settings: ValidationSettings


@functools.cache
def root() -> ValidateDeps:
    settings = ValidateSettings.from_env(os.environ)
    golden = golden_rows(shipped_data_dir() / GOLDEN_FILE)
    checks = ValidationSettings(golden, latency_budget_ms=settings.latency_budget_ms, clock=time.perf_counter)
    return ValidateDeps(artifacts=stores.model_artifacts(settings), settings=checks)


def handle(event: dict[str, Any], deps: ValidateDeps) -> dict[str, Any]:
    request = CheckRequest.model_validate(event)
    result = run_check(request.check, deps.artifacts.get(request.model_id), deps.settings)
    return result.model_dump(mode="json")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root())
