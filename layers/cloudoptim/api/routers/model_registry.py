"""The risk-model registry for platform operators (an admin in the `cloudoptim-operators` group; anyone else 403):
list, read, upload, validate, activate, roll back, shadow, and the shadow report. Every change is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from cloudoptim.api.context import ApiDeps, Caller, Deps, IdempotencyKey, idempotent
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas_models import ModelOut, ModelUploadIn, RegistryOut, ShadowIn, ValidationOut
from cloudoptim.errors import TransientAwsError
from cloudoptim.models import admin
from cloudoptim.models.admin import ModelAdminDeps
from cloudoptim.models.shadow import ShadowReport
from cloudoptim.tenancy.principal import Principal

router = APIRouter(tags=["models (platform operators)"])
ModelId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9.-]{0,79}$")]
Horizon = Annotated[float, Query(gt=0, le=168, description="an interruption this many hours after a choice counts")]
PREFIX = "/v1/admin/models"


def _deps(principal: Principal, wired: ApiDeps) -> ModelAdminDeps:
    admin.require_operator(principal)  # a tenant learns nothing, not even whether the registry is deployed
    if wired.models is None:
        raise TransientAwsError("the model registry is not deployed here (no MODEL_BUCKET)")
    return wired.models


@router.get(PREFIX, response_model=RegistryOut, responses=responses(401, 403, 422, 503))
def list_models(principal: Caller, wired: Deps) -> RegistryOut:
    return RegistryOut.of(admin.state(_deps(principal, wired), principal))


@router.get(PREFIX + "/{model_id}", response_model=ModelOut, responses=responses(401, 403, 404, 422, 503))
def get_model(model_id: ModelId, principal: Caller, wired: Deps) -> ModelOut:
    models = _deps(principal, wired)
    record = admin.get(models, principal, model_id)
    return ModelOut.of(record, models.registry.store.load())


@router.post(
    PREFIX,
    status_code=201,
    response_model=ModelOut,
    responses=responses(400, 401, 403, 409, 422, 503),
    summary="Upload a model (model.txt + metadata.json, base64): stored as `uploaded`; anything else is refused",
)
def upload_model(body: ModelUploadIn, principal: Caller, wired: Deps, key: IdempotencyKey = None) -> Response:
    models = _deps(principal, wired)

    def run() -> Response:
        record = admin.upload(models, wired.tenancy, principal, body.name, body.decoded(), wired.now())
        out = ModelOut.of(record, models.registry.store.load())
        return JSONResponse(out.model_dump(mode="json"), status_code=201, headers={"Location": f"{PREFIX}/{record.id}"})

    return idempotent(body, key, principal, wired, f"POST {PREFIX}", run)


@router.post(
    PREFIX + "/{model_id}/validate",
    status_code=202,
    response_model=ValidationOut,
    responses=responses(401, 403, 404, 422, 503),
    summary="Start the ValidateModel state machine; the verdict lands in the model's status and checks",
)
def validate_model(model_id: ModelId, principal: Caller, wired: Deps) -> ValidationOut:
    started = admin.validate(_deps(principal, wired), wired.tenancy, principal, model_id, wired.now())
    return ValidationOut(model_id=model_id, execution=started)


@router.post(
    PREFIX + "/{model_id}/activate", response_model=RegistryOut, responses=responses(401, 403, 404, 409, 422, 503)
)
def activate_model(model_id: ModelId, principal: Caller, wired: Deps) -> RegistryOut:
    return RegistryOut.of(admin.activate(_deps(principal, wired), wired.tenancy, principal, model_id, wired.now()))


@router.post(
    PREFIX + "/rollback",
    response_model=RegistryOut,
    responses=responses(401, 403, 409, 422, 503),
    summary="Restore the model active before the current one (the heuristic when there was none)",
)
def rollback_model(principal: Caller, wired: Deps) -> RegistryOut:
    return RegistryOut.of(admin.rollback(_deps(principal, wired), wired.tenancy, principal, wired.now()))


@router.post(PREFIX + "/shadow", response_model=RegistryOut, responses=responses(400, 401, 403, 404, 409, 422, 503))
def shadow_model(body: ShadowIn, principal: Caller, wired: Deps) -> RegistryOut:
    models = _deps(principal, wired)
    return RegistryOut.of(admin.shadow(models, wired.tenancy, principal, body.model_id, wired.now()))


@router.get(
    PREFIX + "/{model_id}/shadow-report",
    response_model=ShadowReport,
    responses=responses(401, 403, 404, 422, 503),
    summary="The candidate against the active model on the live choices it shadowed, judged by interruptions",
)
def shadow_report(model_id: ModelId, principal: Caller, wired: Deps, horizon_hours: Horizon = 12) -> ShadowReport:
    models = _deps(principal, wired)
    return admin.report(models, principal, model_id, wired.now(), int(horizon_hours * 3600))
