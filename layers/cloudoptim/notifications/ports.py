"""Narrow ports of the notification use cases (adapters: cloudoptim.adapters.aws.notifications and
cloudoptim.adapters.webhooks; tests/fakes/notifications.py in memory)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from cloudoptim.audit.log import AuditLog
from cloudoptim.interruptions.ports import Idempotency
from cloudoptim.notifications.templates import Email
from cloudoptim.tenancy.ports import Documents

WebhookKind = Literal["slack", "generic"]


class WebhookSecrets(Protocol):
    """Each tenant's webhook URL (a credential: whoever has it can post to the channel) in Secrets Manager at
    `cloudoptim/<tenant>/webhook`; only its name is kept in the tenant's documents."""

    def put(self, tenant: str, url: str) -> str:
        """Store (or replace) the URL; returns the secret's name."""
        ...

    def get(self, name: str) -> str: ...
    def delete(self, tenant: str) -> None: ...


class Mailer(Protocol):
    """Sends one email (SES in AWS, a file outbox on a laptop)."""

    def send(self, recipients: Sequence[str], message: Email) -> str:
        """The message id."""
        ...


class Webhook(Protocol):
    """Posts JSON to a webhook: bounded attempts, a timeout each, no redirects, no private address unless allowed.
    Raises DeliveryError when every attempt failed. `key` goes out as the `Idempotency-Key` header: a post is at
    least once (a lost answer is retried; a crash between the post and its done-mark posts again), the key is the
    same each time, so a receiver can keep one."""

    def post(self, url: str, body: Mapping[str, Any], key: str | None = None) -> int: ...


class AlertBus(Protocol):
    """Puts a CloudOptim event on the bus the notifier listens to."""

    def publish(self, source: str, detail_type: str, detail: Mapping[str, Any]) -> None: ...


@dataclass(frozen=True)
class NotificationsApi:
    """What the API's notification routes need beside the tenancy stores."""

    secrets: WebhookSecrets
    bus: AlertBus | None = None  # None: safe-mode switches are audited but not announced
    allow_loopback: bool = False  # local mode only: a receiver on 127.0.0.1 over http


@dataclass(frozen=True)
class WeeklyDeps:
    documents: Documents
    mailer: Mailer
    sent: Idempotency  # one email per tenant and ISO week
    audit: AuditLog


@dataclass(frozen=True)
class AlertDeps:
    documents: Documents
    secrets: WebhookSecrets
    webhook: Webhook
    sent: Idempotency  # one notification per alert key
    audit: AuditLog
