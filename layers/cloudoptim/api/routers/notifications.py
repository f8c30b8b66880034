"""Notification settings: `GET /v1/notifications` (any role; the webhook URL is never returned) and
`PUT /v1/notifications` (admin; the URL goes to Secrets Manager; audited without it)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from cloudoptim.api.context import Caller, Deps, IdempotencyKey, IfMatch, idempotent, version_of, with_etag
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas import Versioned
from cloudoptim.errors import TransientAwsError
from cloudoptim.notifications import config
from cloudoptim.notifications.config import NotificationsIn
from cloudoptim.tenancy.ports import Document

router = APIRouter(tags=["notifications"])


class WebhookOut(BaseModel):
    kind: Literal["slack", "generic"]
    host: str = Field(description="where alerts are posted; the URL itself is a secret and never returned")


class NotificationsOut(Versioned):
    emails: list[str] = Field(description="recipients of the weekly summary")
    webhook: WebhookOut | None = Field(description="where high-priority events are posted")

    @classmethod
    def of(cls, document: Document) -> NotificationsOut:
        hook = document.body.get("webhook")
        webhook = WebhookOut(kind=hook["kind"], host=hook.get("host", "")) if hook else None
        return cls(emails=list(document.body.get("emails") or []), webhook=webhook, **cls.stamps(document))


@router.get("/v1/notifications", response_model=NotificationsOut, responses=responses(401, 403, 422))
def get_notifications(principal: Caller, wired: Deps) -> JSONResponse:
    document = config.get(wired.tenancy, principal)
    return with_etag(NotificationsOut.of(document), document)


@router.put(
    "/v1/notifications",
    response_model=NotificationsOut,
    responses=responses(400, 401, 403, 409, 412, 422, 503),
    summary="Replace the weekly summary's recipients and the alert webhook (null removes it, omitted keeps it)",
)
def put_notifications(
    body: NotificationsIn, principal: Caller, wired: Deps, if_match: IfMatch = None, key: IdempotencyKey = None
) -> Response:
    def run() -> Response:
        if wired.notifications is None:
            raise TransientAwsError("notifications are not wired in this deployment")
        given = "webhook" in body.model_fields_set
        document = config.replace(
            wired.tenancy, wired.notifications, principal, body, version_of(if_match), wired.now(), given
        )
        return with_etag(NotificationsOut.of(document), document)

    return idempotent(body, key, principal, wired, "PUT /v1/notifications", run)
