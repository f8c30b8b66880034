"""High-priority events, parsed from what EventBridge delivers into one `Alert` per tenant.

Three detail-types (schemas in docs/notifications.md): Step Functions' own "Step Functions Execution Status
Change" of the Execute state machine (FAILED, TIMED_OUT or ABORTED: its Fail state is reached when the execution's
record says failed), "CloudOptim Pool Escalated" (a pool the hive mind confirmed risky, per tenant with nodes in
it) and "CloudOptim Safe Mode Switched" (the API, after the switch is stored and audited).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cloudoptim.errors import FieldError
from cloudoptim.tenancy.principal import TENANT_ID

EXECUTION_STATUS = "Step Functions Execution Status Change"
POOL_ESCALATED = "CloudOptim Pool Escalated"
SAFE_MODE_SWITCHED = "CloudOptim Safe Mode Switched"
API_SOURCE, INTERRUPTIONS_SOURCE = "cloudoptim.api", "cloudoptim.interruptions"
FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
M = TypeVar("M", bound=BaseModel)


class AlertKind(StrEnum):
    EXECUTION_FAILED = "execution_failed"
    POOL_ESCALATED = "pool_escalated"
    SAFE_MODE_SWITCHED = "safe_mode_switched"


@dataclass(frozen=True, slots=True)
class Alert:
    key: str  # one notification per key: a duplicate delivery (or a second emission) finds it sent
    tenant: str
    kind: AlertKind
    title: str
    facts: tuple[tuple[str, str], ...]
    occurred_at: int


class _Detail(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _ExecutionDetail(_Detail):
    executionArn: str
    status: str
    input: str | None = None
    error: str | None = None
    cause: str | None = None


class _ExecutionInput(_Detail):
    tenant_id: Annotated[str, Field(pattern=TENANT_ID.pattern)]
    cluster: str = ""
    recommendation_id: str = ""
    execution_id: str = ""
    kind: str = ""
    dry_run: bool = False


class _PoolDetail(_Detail):
    tenant_id: Annotated[str, Field(pattern=TENANT_ID.pattern)]
    region: str
    az_id: str
    instance_type: str
    level: Literal["CONFIRMED_RISKY"]
    nodes: list[str] = Field(min_length=1, max_length=1000)
    reasons: list[str] = []


class _SafeModeDetail(_Detail):
    tenant_id: Annotated[str, Field(pattern=TENANT_ID.pattern)]
    enabled: bool
    actor: str
    version: int


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    id: str
    detail_type: str = Field(alias="detail-type")
    source: str
    time: datetime
    detail: dict[str, Any]


def parse(event: dict[str, Any]) -> Alert | None:
    """The event's alert; None for an event that is not one (an execution that succeeded); FieldError for an event
    that claims to be one and is malformed (it goes to the dead-letter queue, where it can be read)."""
    envelope = _validated(_Event, event, "")
    at = int(envelope.time.astimezone(UTC).timestamp())
    if envelope.detail_type == EXECUTION_STATUS and envelope.source == "aws.states":
        return _execution(_validated(_ExecutionDetail, envelope.detail, "detail."), at)
    if envelope.detail_type == POOL_ESCALATED and envelope.source == INTERRUPTIONS_SOURCE:
        return _pool(_validated(_PoolDetail, envelope.detail, "detail."), at)
    if envelope.detail_type == SAFE_MODE_SWITCHED and envelope.source == API_SOURCE:
        return _safe_mode(_validated(_SafeModeDetail, envelope.detail, "detail."), at)
    raise FieldError("detail-type", f"{event.get('detail-type')!r} from {event.get('source')!r} is no alert")


def _validated(model: type[M], value: Any, prefix: str) -> M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = prefix + ".".join(str(p) for p in problem.get("loc", ()))
        raise FieldError(where or "event", str(problem.get("msg", "invalid"))) from None


def _execution(detail: _ExecutionDetail, at: int) -> Alert | None:
    if detail.status not in FAILED_STATUSES:
        return None
    try:
        started = _ExecutionInput.model_validate(json.loads(detail.input or ""))
    except (ValueError, ValidationError):
        raise FieldError("detail.input", "not the Execute state machine's input (no tenant_id)") from None
    facts = [
        ("Cluster", started.cluster),
        ("Execution", started.execution_id or detail.executionArn),
        ("Recommendation", started.recommendation_id),
        ("Kind", started.kind),
        ("Status", detail.status),
    ]
    if detail.error or detail.cause:
        facts.append(("Why", f"{detail.error or ''} {detail.cause or ''}".strip()))
    title = f"Execution failed on cluster {started.cluster}: {started.kind or 'workflow'}"
    key = f"alert#{started.tenant_id}#execution#{detail.executionArn}"
    return Alert(key, started.tenant_id, AlertKind.EXECUTION_FAILED, title, tuple(facts), at)


def _pool(detail: _PoolDetail, at: int) -> Alert:
    pool = f"{detail.instance_type} in {detail.az_id} ({detail.region})"
    shown = ", ".join(detail.nodes[:10]) + (f" and {len(detail.nodes) - 10} more" if len(detail.nodes) > 10 else "")
    facts = [("Pool", pool), ("Level", detail.level), ("Your nodes", shown)]
    facts += [("Why", reason) for reason in detail.reasons[:5]]
    day = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")  # the same pool again tomorrow is news again
    key = f"alert#{detail.tenant_id}#pool#{detail.region}#{detail.az_id}#{detail.instance_type}#{day}"
    title = f"Spot pool {pool} is confirmed risky; your nodes there: {len(detail.nodes)}"
    return Alert(key, detail.tenant_id, AlertKind.POOL_ESCALATED, title, tuple(facts), at)


def _safe_mode(detail: _SafeModeDetail, at: int) -> Alert:
    state = "on: every workflow runs dry" if detail.enabled else "off: workflows change your clusters again"
    facts = (("Safe mode", "on" if detail.enabled else "off"), ("By", detail.actor))
    key = f"alert#{detail.tenant_id}#safe-mode#v{detail.version}"
    return Alert(key, detail.tenant_id, AlertKind.SAFE_MODE_SWITCHED, f"Safe mode switched {state}", facts, at)


def safe_mode_detail(tenant: str, enabled: bool, actor: str, version: int) -> dict[str, Any]:
    """What the API puts on the bus after a switch (the one producer of this detail-type)."""
    return _SafeModeDetail(tenant_id=tenant, enabled=enabled, actor=actor, version=version).model_dump()
