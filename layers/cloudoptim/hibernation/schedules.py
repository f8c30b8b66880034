"""What users do with hibernation through the API: read a cluster's schedule, state and recent sleeps and wakes,
replace the schedule under If-Match, wake the cluster by hand for a few hours. Every write is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from cloudoptim.errors import FieldError, PreconditionFailedError, PreconditionRequiredError
from cloudoptim.hibernation.records import SCHEDULE, schedule_of, state_of, update_state
from cloudoptim.tenancy import clusters
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.ports import Document, Json
from cloudoptim.tenancy.principal import Action, Principal
from cloudoptim.tenancy.tenants import audit
from engines.hibernation.schedule import Schedule
from engines.hibernation.timeline import desired, transitions

MAX_WAKE_HOURS = 72


def parse(body: Json) -> Schedule:
    try:
        return Schedule.model_validate(body)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem.get("loc", ())) or "schedule"
        raise FieldError(where, str(problem.get("msg", "invalid value")).removeprefix("Value error, ")) from None


def schedule_document(deps: TenancyDeps, principal: Principal, cluster: str) -> Document:
    """Version 0: no schedule yet (the cluster never sleeps); a first PUT says If-Match "0"."""
    clusters.get(deps, principal, cluster)
    found = deps.documents.get(principal.tenant_id, SCHEDULE, cluster)
    return found or Document(SCHEDULE, cluster, {}, 0, 0, 0)


def view(deps: TenancyDeps, principal: Principal, cluster: str, now: int) -> dict[str, Any]:
    """The schedule, the cluster's hibernation state, what it should be now, the next transitions and history."""
    current = schedule_document(deps, principal, cluster)
    state = state_of(deps.documents, principal.tenant_id, cluster)
    schedule = schedule_of(deps.documents, principal.tenant_id, cluster)
    body: dict[str, Any] = {
        "cluster": cluster,
        "schedule": schedule.as_json() if schedule else None,
        "schedule_version": current.version,
        **{k: v for k, v in state.body.items() if k != "history"},
        "desired": None,
        "next_transitions": [],
        "history": list(state.body.get("history") or []),
    }
    if schedule is not None:
        wanted = desired(schedule, now, state.body.get("manual_wake_until"))
        body["desired"] = {"awake": wanted.awake, "code": wanted.code.value, "reason": wanted.reason}
        upcoming = transitions(schedule, datetime.fromtimestamp(now, UTC), days=8)[:6]
        body["next_transitions"] = [{"at": t.at, "action": t.action.value, "local": t.local} for t in upcoming]
    return body


def replace_schedule(
    deps: TenancyDeps, principal: Principal, cluster: str, body: Json, if_match: int | None, now: int
) -> Document:
    principal.require(Action.CONFIGURE)
    if if_match is None:
        raise PreconditionRequiredError('send If-Match with the ETag of the schedule you read ("0" when there is none)')
    schedule = parse(body).as_json()
    current = schedule_document(deps, principal, cluster)
    if if_match != current.version:
        raise PreconditionFailedError(
            f"hibernation schedule of {cluster} is at version {current.version}, not {if_match}"
        )
    tenant = principal.tenant_id
    if current.version == 0:
        updated = deps.documents.create(tenant, SCHEDULE, cluster, schedule, now)
    else:
        updated = deps.documents.replace(tenant, SCHEDULE, cluster, schedule, if_match, now)
    before = current.body or None
    audit(
        deps,
        principal,
        "hibernation.schedule",
        {"cluster": cluster, "hibernation": "schedule"},
        now,
        before=before,
        after=schedule,
    )
    return updated


def wake(deps: TenancyDeps, principal: Principal, cluster: str, hours: float, now: int) -> Document:
    """Awake for `hours` whatever the schedule says; the next tick (every few minutes) starts the wake."""
    principal.require(Action.ACT)
    if not 0 < hours <= MAX_WAKE_HOURS:
        raise FieldError("hours", f"between 0 and {MAX_WAKE_HOURS}")
    clusters.get(deps, principal, cluster)
    until = now + int(hours * 3600)

    def woken(state: dict[str, Any]) -> dict[str, Any]:
        state["manual_wake_until"] = until
        return state

    updated = update_state(deps.documents, principal.tenant_id, cluster, woken, now)
    reason = f"woken by hand for {hours:g} h, until {datetime.fromtimestamp(until, UTC).isoformat()}"
    audit(deps, principal, "hibernation.manual_wake", {"cluster": cluster, "hibernation": "manual-wake"}, now,
          after={"manual_wake_until": until}, reasons=(reason,))  # fmt: skip
    return updated
