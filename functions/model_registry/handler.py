"""Lambda `model_registry`: the registry's writes that state machines make: record a validation verdict, activate,
roll back, set the shadow candidate. The API makes the same changes through the same use cases.

Event: `{"action": "record", "model_id", "checks": [...]}`, `{"action": "activate"|"promote", "model_id", "actor"}`
(promote: RetrainModel activating a validated candidate that beat the active model),
`{"action": "rollback", "actor"}` or `{"action": "shadow", "model_id": id|null, "actor"}`. Result: the model's
record (record) or `{"active", "shadow", "version"}`.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from cloudoptim.models import registry
from cloudoptim.models.ports import CheckResult
from cloudoptim.models.registry import RegistryDeps
from cloudoptim.observability import instrumented
from cloudoptim.settings import ModelSettings
from cloudoptim.wiring import stores


class RegistryRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    action: Literal["record", "activate", "promote", "rollback", "shadow"]
    model_id: str | None = None
    checks: dict[str, CheckResult] = {}  # check name -> result, as the ValidateModel state machine collects them
    actor: str = "state-machine"


@functools.cache
def root() -> RegistryDeps:
    settings = ModelSettings.from_env(os.environ)
    return RegistryDeps(artifacts=stores.model_artifacts(settings), store=stores.model_registry(settings))


def handle(event: dict[str, Any], deps: RegistryDeps, now: int) -> dict[str, Any]:
    request = RegistryRequest.model_validate(event)
    if request.action == "record":
        record = registry.record_checks(deps, str(request.model_id), tuple(request.checks.values()))
        return record.model_dump(mode="json")
    if request.action in ("activate", "promote"):
        state = registry.activate(deps, str(request.model_id), request.actor, now, action=request.action)
    elif request.action == "rollback":
        state = registry.rollback(deps, request.actor, now)
    else:
        state = registry.set_shadow(deps, request.model_id, request.actor, now)
    return {"active": state.active_id, "shadow": state.shadow, "version": state.version}


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
