"""`cloudoptim local up` activates the shipped risk model: uploaded to the local artifact bucket, checked by the
same validation checks the ValidateModel state machine runs, and activated, so local choices name its id."""

from __future__ import annotations

import time

from cloudoptim.adapters.aws.models import DynamoRegistryState, S3Artifacts
from cloudoptim.adapters.day_zero import shipped_data_dir
from cloudoptim.models import registry
from cloudoptim.models.registry import RegistryDeps
from cloudoptim.models.validation import CHECKS, GOLDEN_FILE, ValidationSettings, golden_rows, run_check
from localmode.aws import LocalAws
from localmode.deploy import DeployedStack

SHIPPED_MODEL = "eu-west-1-2022q1"
ACTOR = "local-mode"


def activate_shipped_model(aws: LocalAws, deployed: DeployedStack, now: int) -> str:
    """The shipped model's registry id, active; idempotent across restarts of the same local stack."""
    bucket = deployed.function_env["choose_replacement"]["MODEL_BUCKET"]
    deps = RegistryDeps(
        artifacts=S3Artifacts(aws.client("s3"), bucket),
        store=DynamoRegistryState(aws.client("dynamodb"), deployed.tables["REGISTRY_TABLE"]),
    )
    folder = shipped_data_dir() / "models" / SHIPPED_MODEL
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    record = registry.upload(deps, SHIPPED_MODEL, files, ACTOR, now)
    settings = ValidationSettings(golden_rows(shipped_data_dir() / GOLDEN_FILE), clock=time.perf_counter)
    results = tuple(run_check(name, deps.artifacts.get(record.id), settings) for name in CHECKS)
    registry.record_checks(deps, record.id, results)
    registry.activate(deps, record.id, ACTOR, now)
    return record.id
