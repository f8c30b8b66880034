"""One high-priority event to the tenant's webhook, once: the alert's key is claimed in the Idempotency table
before the post, completed after it and released when it fails, so a duplicate delivery finds it sent and a
failure is retried (EventBridge and Lambda retry, then the dead-letter queue keeps it)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from cloudoptim.audit.log import AuditEntry
from cloudoptim.errors import ClaimInProgressError, CloudOptimError
from cloudoptim.interruptions.ports import Claim
from cloudoptim.notifications import config, templates
from cloudoptim.notifications.alerts import parse
from cloudoptim.notifications.ports import AlertDeps

SENT_TTL_SECONDS = 7 * 86400  # EventBridge retries for 24 h at most; a week covers any replay from the DLQ too
ACTOR = "cloudoptim:notifications"


@dataclass(frozen=True)
class AlertResult:
    outcome: str  # sent | duplicate | ignored | skipped
    tenant: str | None = None
    kind: str | None = None
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def deliver(deps: AlertDeps, event: dict[str, Any], now: int) -> AlertResult:
    """Raises FieldError for a malformed event, DeliveryError when the webhook failed and ClaimInProgressError
    when another invocation is posting the same alert: each leaves the event to be retried or dead-lettered."""
    alert = parse(event)
    if alert is None:
        return AlertResult("ignored", detail="not an alert: the execution did not fail")
    webhook = config.read(deps.documents, alert.tenant).body.get("webhook")
    if not webhook:
        return AlertResult("skipped", alert.tenant, alert.kind.value, "no webhook in the notification settings")
    claim = deps.sent.claim(alert.key, now, SENT_TTL_SECONDS)
    if claim is Claim.DONE:
        return AlertResult("duplicate", alert.tenant, alert.kind.value, alert.key)
    if claim is Claim.IN_PROGRESS:
        raise ClaimInProgressError(f"{alert.key} is being posted by another invocation")
    body = templates.slack(alert) if webhook.get("kind") == "slack" else templates.generic(alert)
    try:
        status = deps.webhook.post(deps.secrets.get(str(webhook["secret"])), body, key=alert.key)
    except CloudOptimError:
        deps.sent.release(alert.key)
        raise
    deps.sent.complete(alert.key)
    target = {"tenant": alert.tenant, "webhook": str(webhook.get("host", ""))}
    after = {"kind": alert.kind.value, "title": alert.title, "status": status}
    deps.audit.record(AuditEntry(alert.tenant, alert.key, ACTOR, now, "notifications.alert", target, None, after,
                                 "ok", (), False))  # fmt: skip
    return AlertResult("sent", alert.tenant, alert.kind.value, alert.key)
