"""The registry as platform operators drive it through the API: list, read, upload, validate, activate, roll back,
shadow, and the shadow report. Every change is audited in the operator's own tenant log (decision 16.5).

The risk models are global (every tenant's choices use the active one), so a tenant's admin may not touch them:
only an admin who is also in the Cognito group `cloudoptim-operators` (Principal.platform_operator) may, even to
read. Anyone else gets PermissionDeniedError before anything is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudoptim.errors import CloudOptimError, NotFoundError, PermissionDeniedError
from cloudoptim.models import registry
from cloudoptim.models.ports import (
    InterruptionHistory,
    ModelRecord,
    RegistryState,
    ShadowLog,
    Validations,
)
from cloudoptim.models.registry import RegistryDeps
from cloudoptim.models.shadow import ShadowReport, shadow_report
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.principal import PLATFORM_OPERATORS, Principal, Role
from cloudoptim.tenancy.tenants import audit


@dataclass(frozen=True)
class ModelAdminDeps:
    registry: RegistryDeps
    validations: Validations
    shadow_log: ShadowLog
    interruptions: InterruptionHistory


def require_operator(principal: Principal) -> None:
    if principal.role is not Role.ADMIN or not principal.platform_operator:
        raise PermissionDeniedError(
            f"the risk models are global: only an admin in the {PLATFORM_OPERATORS} group may read or change them"
        )


def state(deps: ModelAdminDeps, principal: Principal) -> RegistryState:
    require_operator(principal)
    return deps.registry.store.load()


def get(deps: ModelAdminDeps, principal: Principal, model_id: str) -> ModelRecord:
    found = state(deps, principal).models.get(model_id)
    if found is None:
        raise NotFoundError(f"no model {model_id} in the registry")
    return found


def upload(
    deps: ModelAdminDeps, tenancy: TenancyDeps, principal: Principal, name: str, files: Mapping[str, bytes], now: int
) -> ModelRecord:
    require_operator(principal)
    try:
        record = registry.upload(deps.registry, name, files, principal.actor, now)
    except CloudOptimError as exc:  # a refusal is audited too: who tried to upload what, and why it was refused
        _audit(tenancy, principal, "model.upload", name, now, outcome="refused", reasons=(str(exc),))
        raise
    _audit(tenancy, principal, "model.upload", record.id, now, after={"sha256": record.sha256, "name": name})
    return record


def validate(deps: ModelAdminDeps, tenancy: TenancyDeps, principal: Principal, model_id: str, now: int) -> str:
    """Start ValidateModel for an uploaded model; "started", or "duplicate" when it was started before."""
    get(deps, principal, model_id)
    started = deps.validations.start(model_id)
    _audit(tenancy, principal, "model.validate", model_id, now, reasons=(f"ValidateModel {started}",))
    return started


def activate(
    deps: ModelAdminDeps, tenancy: TenancyDeps, principal: Principal, model_id: str, now: int
) -> RegistryState:
    before = state(deps, principal)
    after = registry.activate(deps.registry, model_id, principal.actor, now)
    _changed(tenancy, principal, "model.activate", model_id, now, before, after)
    return after


def rollback(deps: ModelAdminDeps, tenancy: TenancyDeps, principal: Principal, now: int) -> RegistryState:
    before = state(deps, principal)
    after = registry.rollback(deps.registry, principal.actor, now)
    _changed(tenancy, principal, "model.rollback", after.active_id, now, before, after)
    return after


def shadow(
    deps: ModelAdminDeps, tenancy: TenancyDeps, principal: Principal, model_id: str | None, now: int
) -> RegistryState:
    before = state(deps, principal)
    after = registry.set_shadow(deps.registry, model_id, principal.actor, now)
    _changed(tenancy, principal, "model.shadow", model_id or "none", now, before, after)
    return after


def report(deps: ModelAdminDeps, principal: Principal, model_id: str, now: int, horizon: int) -> ShadowReport:
    get(deps, principal, model_id)
    entries = deps.shadow_log.entries(model_id)
    regions = sorted({e.region for e in entries})
    outcomes = {region: deps.interruptions.interruptions(region, now) for region in regions}
    return shadow_report(model_id, entries, outcomes, now, horizon)


def _changed(
    tenancy: TenancyDeps,
    principal: Principal,
    action: str,
    model_id: str,
    now: int,
    before: RegistryState,
    after: RegistryState,
) -> None:
    if after.version == before.version:
        return  # a repeated request changed nothing: nothing to audit
    _audit(tenancy, principal, action, model_id, now, before=_summary(before), after=_summary(after))


def _summary(state: RegistryState) -> dict[str, Any]:
    return {"active": state.active_id, "shadow": state.shadow, "version": state.version}


def _audit(
    tenancy: TenancyDeps,
    principal: Principal,
    action: str,
    model_id: str,
    now: int,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: str = "ok",
    reasons: tuple[str, ...] = (),
) -> None:
    audit(tenancy, principal, action, {"model": model_id}, now, before=before, after=after, outcome=outcome,
          reasons=reasons)  # fmt: skip
