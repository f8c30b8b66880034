"""The notification jobs' composition: documents, the audit log, claims in the Idempotency table, SES, Secrets
Manager and the webhook poster."""

from __future__ import annotations

from cloudoptim.adapters.aws.notifications import SecretsWebhooks, SesMailer
from cloudoptim.adapters.webhooks import HttpWebhook
from cloudoptim.notifications.ports import AlertDeps, Mailer, WeeklyDeps
from cloudoptim.settings import NotifyEventSettings, WeeklySummarySettings
from cloudoptim.wiring.stores import client, idempotency
from cloudoptim.wiring.tenancy import audit_log, documents


def weekly_deps(settings: WeeklySummarySettings, mailer: Mailer | None = None) -> WeeklyDeps:
    """`mailer`: local mode's file outbox; SES otherwise."""
    return WeeklyDeps(
        documents=documents(settings),
        mailer=mailer or SesMailer(client(settings, "sesv2"), settings.sender),
        sent=idempotency(settings),
        audit=audit_log(settings),
    )


def alert_deps(settings: NotifyEventSettings) -> AlertDeps:
    return AlertDeps(
        documents=documents(settings),
        secrets=SecretsWebhooks(client(settings, "secretsmanager")),
        webhook=HttpWebhook(allow_loopback=settings.allow_loopback, timeout_seconds=settings.webhook_timeout_seconds),
        sent=idempotency(settings),
        audit=audit_log(settings),
    )
