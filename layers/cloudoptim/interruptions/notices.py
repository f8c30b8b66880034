"""EventBridge models of the four notices (powertools parser) and their translation into engine Notices.

`account` is optional in the model so an envelope without it parses and is then refused by name
(cloudoptim.interruptions.admission) rather than dropped as malformed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from engines.interruption.events import DETAIL_TYPES, HEALTH, REBALANCE, SPOT_INTERRUPTION, STATE_CHANGE, Notice


class _Detail(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class SpotWarningDetail(_Detail):
    instance_id: str = Field(alias="instance-id")
    instance_action: str = Field("terminate", alias="instance-action")


class RebalanceDetail(_Detail):
    instance_id: str = Field(alias="instance-id")


class StateChangeDetail(_Detail):
    instance_id: str = Field(alias="instance-id")
    state: str


class AffectedEntity(_Detail):
    entity_value: str = Field(alias="entityValue")
    status: str | None = None  # e.g. "RESOLVED" once the instance is no longer affected


class HealthDetail(_Detail):
    service: str
    event_type_category: str = Field(alias="eventTypeCategory")
    event_type_code: str | None = Field(None, alias="eventTypeCode")
    start_time: str | None = Field(None, alias="startTime")  # RFC 1123, e.g. "Sat, 05 Jun 2016 15:10:09 GMT"
    end_time: str | None = Field(None, alias="endTime")
    status_code: str | None = Field(None, alias="statusCode")  # "open", "upcoming" or "closed"
    affected_entities: list[AffectedEntity] = Field(default_factory=list, alias="affectedEntities")


class _Envelope(EventBridgeModel):
    account: str | None = None  # type: ignore[assignment]


class SpotWarningEvent(_Envelope):
    detail_type: Literal["EC2 Spot Instance Interruption Warning"] = Field(alias="detail-type")
    detail: SpotWarningDetail


class RebalanceEvent(_Envelope):
    detail_type: Literal["EC2 Instance Rebalance Recommendation"] = Field(alias="detail-type")
    detail: RebalanceDetail


class StateChangeEvent(_Envelope):
    detail_type: Literal["EC2 Instance State-change Notification"] = Field(alias="detail-type")
    detail: StateChangeDetail


class HealthEvent(_Envelope):
    detail_type: Literal["AWS Health Event"] = Field(alias="detail-type")
    detail: HealthDetail


NoticeEvent = Annotated[
    SpotWarningEvent | RebalanceEvent | StateChangeEvent | HealthEvent, Field(discriminator="detail_type")
]
NOTICE_EVENT: TypeAdapter[SpotWarningEvent | RebalanceEvent | StateChangeEvent | HealthEvent] = TypeAdapter(NoticeEvent)


@dataclass(frozen=True, slots=True)
class ReceivedNotice:
    """One notice as ingest needs it: the engine's Notice plus where it came from."""

    event_id: str
    account: str | None
    region: str
    notice: Notice
    source: str = ""


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _health_start(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return _epoch(parsedate_to_datetime(text))
    except (TypeError, ValueError):
        try:
            return _epoch(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            return None


def to_notices(event: SpotWarningEvent | RebalanceEvent | StateChangeEvent | HealthEvent) -> list[ReceivedNotice]:
    """One notice per instance (a Health event can name several), with the envelope's facts the engine weighs."""
    base = Notice(DETAIL_TYPES[0], "", _epoch(event.time), source=event.source, account=event.account)

    def received(notice: Notice) -> ReceivedNotice:
        return ReceivedNotice(event.id, event.account, event.region, notice, event.source)

    if isinstance(event, SpotWarningEvent):
        return [received(replace(base, detail_type=SPOT_INTERRUPTION, instance_id=event.detail.instance_id,
                                 action_or_state=event.detail.instance_action))]  # fmt: skip
    if isinstance(event, RebalanceEvent):
        return [received(replace(base, detail_type=REBALANCE, instance_id=event.detail.instance_id))]
    if isinstance(event, StateChangeEvent):
        return [received(replace(base, detail_type=STATE_CHANGE, instance_id=event.detail.instance_id,
                                 action_or_state=event.detail.state))]  # fmt: skip
    detail = event.detail
    entities = {e.entity_value: e.status for e in detail.affected_entities if e.entity_value.startswith("i-")}
    if not entities:
        entities = {r.rsplit("/", 1)[-1]: None for r in event.resources if r.rsplit("/", 1)[-1].startswith("i-")}
    health = replace(
        base, detail_type=HEALTH, action_or_state=detail.event_type_code, start_time=_health_start(detail.start_time),
        service=detail.service, category=detail.event_type_category, status=detail.status_code,
        end_time=_health_start(detail.end_time),
    )  # fmt: skip
    return [received(replace(health, instance_id=i, entity_status=status)) for i, status in entities.items()]
