"""EventBridge models of the four notices (powertools parser) and their translation into engine Notices.

`account` is optional in the model so an envelope without it parses and is then refused by name
(cloudoptim.interruptions.admission) rather than dropped as malformed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from engines.interruption.events import HEALTH, REBALANCE, SPOT_INTERRUPTION, STATE_CHANGE, Notice


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


class HealthDetail(_Detail):
    service: str
    event_type_category: str = Field(alias="eventTypeCategory")
    event_type_code: str | None = Field(None, alias="eventTypeCode")
    start_time: str | None = Field(None, alias="startTime")  # RFC 1123, e.g. "Sat, 05 Jun 2016 15:10:09 GMT"
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
    """One notice per instance (a Health event can name several)."""
    t = _epoch(event.time)

    def received(
        instance_id: str, detail_type: str, extra: str | None = None, start: int | None = None
    ) -> ReceivedNotice:
        notice = Notice(detail_type, instance_id, t, extra, start)
        return ReceivedNotice(event.id, event.account, event.region, notice, event.source)

    if isinstance(event, SpotWarningEvent):
        return [received(event.detail.instance_id, SPOT_INTERRUPTION, event.detail.instance_action)]
    if isinstance(event, RebalanceEvent):
        return [received(event.detail.instance_id, REBALANCE)]
    if isinstance(event, StateChangeEvent):
        return [received(event.detail.instance_id, STATE_CHANGE, event.detail.state)]
    instances = [e.entity_value for e in event.detail.affected_entities if e.entity_value.startswith("i-")]
    if not instances:
        instances = [r.rsplit("/", 1)[-1] for r in event.resources if r.rsplit("/", 1)[-1].startswith("i-")]
    start = _health_start(event.detail.start_time)
    return [received(i, HEALTH, event.detail.event_type_code, start) for i in instances]
