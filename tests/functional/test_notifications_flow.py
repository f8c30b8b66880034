"""The weekly summary and the alerts over in-memory fakes: what the ledger and the documents hold reaches the
email, once per tenant and week; an alert reaches the webhook once however often it is delivered; a failure is
released and raised for the retry; nothing is sent where nobody asked for it."""

from __future__ import annotations

from typing import Any

import pytest

from cloudoptim.errors import ClaimInProgressError, DeliveryError, FieldError
from cloudoptim.notifications import config
from cloudoptim.notifications.deliver import deliver
from cloudoptim.notifications.ports import AlertDeps, WeeklyDeps
from cloudoptim.notifications.weekly import send_all
from cloudoptim.optimization.records import Execution
from cloudoptim.tenancy.tenants import INDEX, TENANT
from functions.weekly_summary.handler import handle
from tests.fakes.aws import FakeAudit, FakeIdempotency
from tests.fakes.notifications import FakeWebhookSecrets, MemoryMailer, RecordingWebhook
from tests.fakes.tenancy import MemoryDocuments
from tests.support.optimization import planned_sweep
from tests.unit.test_notification_alerts import execution_event, pool_event

NOW = 1_780_000_000
HOOK = "https://hooks.slack.com/services/T0/B0/secret"


def tenant(documents: MemoryDocuments, name: str, emails: list[str], webhook: dict[str, Any] | None = None) -> None:
    documents.create(INDEX, TENANT, name, {"created_at": NOW}, NOW)
    documents.create(name, "cluster", "prod", {"name": "prod", "region": "eu-west-1"}, NOW)
    documents.create(name, config.NOTIFICATIONS, config.CURRENT, {"emails": emails, "webhook": webhook}, NOW)


@pytest.fixture
def weekly() -> WeeklyDeps:
    documents = MemoryDocuments()
    tenant(documents, "acme", ["finops@acme.example"])
    tenant(documents, "quiet", [])
    planned_sweep(documents, "acme", "prod", NOW - 86400, {"consolidation": 1.0, "spot": 0.5, "oom": 0.0})
    failed = Execution(
        cluster="prod", recommendation_id="r", kind="spot", status="failed", started_at=NOW - 3600,
        started_by="user:x", projected_savings_per_hour=0.5, reasons=["a step failed: <boom>", "uncordoned ip-1"],
    )  # fmt: skip
    documents.create("acme", "execution", "r.x1", failed.model_dump(), NOW - 3600)
    waste = {"account_id": "111122223333", "region": "eu-west-1",
             "findings": [{"kind": "zombie_volume", "resource_id": "vol-1", "monthly_cost": 8.0}]}  # fmt: skip
    documents.create("acme", "waste-findings", "111122223333@eu-west-1", waste, NOW)
    return WeeklyDeps(documents, MemoryMailer(), FakeIdempotency(in_progress_seconds=120), FakeAudit())


def test_the_weekly_summary_carries_the_ledger_and_is_sent_once_per_week(weekly: WeeklyDeps) -> None:
    results = {r.tenant: r.outcome for r in send_all(weekly, NOW)}
    assert results == {"acme": "sent", "quiet": "skipped"}
    mailer = weekly.mailer
    assert isinstance(mailer, MemoryMailer)
    [(recipients, mail)] = mailer.sent
    assert recipients == ("finops@acme.example",)
    # 1.5 $/h projected (the ledger's open recommendations) x 730; current 10 $/h x 730
    assert "$1,095.00/month projected, $0.00/month realised" in mail.subject
    assert "Current spend: $7,300.00" in mail.text and "consolidation #1" in mail.text
    assert "failed" in mail.text and "&lt;boom&gt;" in mail.html and "vol-1" in mail.text
    assert "a step failed: <boom> (+1 more in the execution's record)" in mail.text  # the cause, not the clean-up
    again = {r.tenant: r.outcome for r in send_all(weekly, NOW + 3600)}  # a retried schedule, the same week
    assert again["acme"] == "duplicate" and len(mailer.sent) == 1
    assert {r.tenant: r.outcome for r in send_all(weekly, NOW + 7 * 86400)}["acme"] == "sent"  # next week
    assert [e.action for e in weekly.audit.all()] == ["notifications.weekly"] * 2  # type: ignore[attr-defined]


def test_a_failed_send_is_released_so_the_retry_sends_it(weekly: WeeklyDeps) -> None:
    mailer = weekly.mailer
    assert isinstance(mailer, MemoryMailer)
    mailer.fail("send", DeliveryError("SES throttled"))
    assert {r.tenant: r.outcome for r in send_all(weekly, NOW)}["acme"] == "failed"
    assert {r.tenant: r.outcome for r in send_all(weekly, NOW + 60)}["acme"] == "sent"
    assert len(mailer.sent) == 1


def alerts(kind: str = "slack") -> AlertDeps:
    documents = MemoryDocuments()
    secrets = FakeWebhookSecrets()
    name = secrets.put("acme", HOOK)
    tenant(documents, "acme", [], {"kind": kind, "host": "hooks.slack.com", "secret": name})
    tenant(documents, "silent", [])
    return AlertDeps(documents, secrets, RecordingWebhook(), FakeIdempotency(in_progress_seconds=60), FakeAudit())


def test_an_alert_delivered_twice_is_posted_once() -> None:
    deps = alerts()
    first = deliver(deps, execution_event(event_id="e-1"), NOW)
    second = deliver(deps, execution_event(event_id="e-1"), NOW + 5)  # EventBridge's at-least-once duplicate
    assert (first.outcome, second.outcome) == ("sent", "duplicate")
    webhook = deps.webhook
    assert isinstance(webhook, RecordingWebhook)
    [(url, body)] = webhook.posts
    assert url == HOOK and body["blocks"][0]["type"] == "header"
    assert webhook.keys == [first.detail]  # the alert's key: a receiver de-duplicates a re-post on it


def test_a_generic_webhook_gets_the_json_body() -> None:
    deps = alerts("generic")
    deliver(deps, pool_event(["ip-10-0-0-1"]), NOW)
    [(_, body)] = deps.webhook.posts  # type: ignore[attr-defined]
    assert body["type"] == "pool_escalated" and body["tenant"] == "acme"


def test_a_failed_post_is_released_and_raised_so_nothing_is_lost() -> None:
    deps = alerts()
    deps.webhook.fail("post", DeliveryError("webhook answered 500"))  # type: ignore[attr-defined]
    with pytest.raises(DeliveryError):
        deliver(deps, execution_event(), NOW)
    assert deliver(deps, execution_event(), NOW + 60).outcome == "sent"  # Lambda's retry


def test_an_alert_being_posted_elsewhere_is_retried_not_dropped() -> None:
    deps = alerts()
    deps.sent.claim(f"alert#acme#execution#{execution_event()['detail']['executionArn']}", NOW, 3600)
    with pytest.raises(ClaimInProgressError):
        deliver(deps, execution_event(), NOW + 1)


def test_no_webhook_no_post_and_a_success_is_no_alert() -> None:
    deps = alerts()
    assert deliver(deps, execution_event(tenant_id="silent"), NOW).outcome == "skipped"
    assert deliver(deps, execution_event("SUCCEEDED"), NOW).outcome == "ignored"
    with pytest.raises(FieldError):
        deliver(deps, {"id": "x"}, NOW)
    assert deps.webhook.posts == []  # type: ignore[attr-defined]


def test_the_weekly_handler_raises_after_trying_every_tenant_so_the_retry_sends_the_rest(weekly: WeeklyDeps) -> None:
    documents = weekly.documents
    tenant(documents, "beta", ["ops@beta.example"])  # type: ignore[arg-type]
    mailer = weekly.mailer
    assert isinstance(mailer, MemoryMailer)
    mailer.fail("send", DeliveryError("SES throttled"))  # the first tenant's send (acme) fails
    with pytest.raises(DeliveryError, match="acme"):
        handle({}, weekly, NOW)
    assert [r for r, _ in mailer.sent] == [("ops@beta.example",)]  # beta was still sent
    assert {t["tenant"]: t["outcome"] for t in handle({}, weekly, NOW + 120)["tenants"]} == {
        "acme": "sent",
        "beta": "duplicate",
        "quiet": "skipped",
    }
