"""Lambda `retrain_model` (the RetrainModel state machine's first step, started weekly by a schedule): train on the
newest prices of a region (shipped + every scraped price archived), store the model as a candidate and compare it
with the active model on the newest held-out window. It never activates anything: the state machine validates the
candidate (ValidateModel) and promotes it only when `beats`.

Event: `{"region": "eu-west-1"}`. Result: `{"model_id", "beats", "comparison"}`.
"""

from __future__ import annotations

import os
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloudoptim.errors import InvalidArgumentError
from cloudoptim.models.registry import RegistryDeps
from cloudoptim.models.retrain import RetrainInputs, RetrainSettings, retrain
from cloudoptim.observability import instrumented
from cloudoptim.settings import RetrainSettings as RetrainEnv
from cloudoptim.wiring.retrain import retrain_deps
from ml.train import TrainSettings


class RetrainRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")


def handle(
    event: dict[str, Any], deps: RegistryDeps, inputs: RetrainInputs, env: RetrainEnv, now: int
) -> dict[str, Any]:
    request = RetrainRequest.model_validate(event)
    settings = RetrainSettings(
        region=request.region,
        window_days=env.window_days,
        train=TrainSettings(grid_hours=env.grid_hours, threads=max(os.cpu_count() or 1, 1)),
    )
    try:
        return retrain(deps, inputs, settings, now).as_dict()
    except ValueError as exc:  # too little data for a split with both classes: a clear, final answer
        raise InvalidArgumentError(f"cannot retrain for {request.region}: {exc}") from None


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = RetrainEnv.from_env(os.environ)
    deps, inputs = retrain_deps(env, str(event.get("region", "")))
    return handle(event, deps, inputs, env, int(time.time()))
