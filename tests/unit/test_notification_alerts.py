"""Events into alerts (the three detail-types, their keys, what is not an alert, what is malformed) and the webhook
URL rule (https to a public host; loopback only when local mode allows it)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cloudoptim.errors import FieldError
from cloudoptim.notifications.alerts import AlertKind, parse, safe_mode_detail
from cloudoptim.notifications.config import webhook_host

ARN = "arn:aws:states:eu-west-1:123456789012:execution:CloudOptimExecute:r-1.x1"


def execution_event(status: str = "FAILED", event_id: str = "e-1", **input_: Any) -> dict[str, Any]:
    started = {"tenant_id": "acme", "cluster": "prod", "recommendation_id": "r-1", "execution_id": "r-1.x1",
               "kind": "consolidation", "dry_run": False, **input_}  # fmt: skip
    return {
        "id": event_id, "detail-type": "Step Functions Execution Status Change", "source": "aws.states",
        "time": "2026-01-05T10:00:00Z",
        "detail": {"executionArn": ARN, "status": status, "input": json.dumps(started), "error": "ExecutionFailed",
                   "cause": "the execution failed: its record says why"},
    }  # fmt: skip


def pool_event(nodes: list[str], event_id: str = "p-1", time: str = "2026-01-05T10:00:00Z") -> dict[str, Any]:
    detail = {
        "tenant_id": "acme", "region": "eu-west-1", "az_id": "euw1-az1", "instance_type": "m5.large",
        "level": "CONFIRMED_RISKY", "nodes": nodes, "reasons": ["3 tenants interrupted in 20 minutes"],
    }  # fmt: skip
    return {"id": event_id, "detail-type": "CloudOptim Pool Escalated", "source": "cloudoptim.interruptions",
            "time": time, "detail": detail}  # fmt: skip


def test_a_failed_execution_is_an_alert_keyed_by_its_execution() -> None:
    alert = parse(execution_event())
    assert alert is not None and alert.kind is AlertKind.EXECUTION_FAILED and alert.tenant == "acme"
    assert alert.key == f"alert#acme#execution#{ARN}"
    assert parse(execution_event(event_id="e-2")).key == alert.key  # type: ignore[union-attr]  # re-emitted: same key
    assert ("Cluster", "prod") in alert.facts and any(k == "Why" for k, _ in alert.facts)


def test_a_succeeded_execution_is_no_alert() -> None:
    assert parse(execution_event("SUCCEEDED")) is None


def test_a_confirmed_risky_pool_names_the_tenants_nodes_and_is_news_again_the_next_day() -> None:
    today = parse(pool_event(["ip-10-0-0-1", "ip-10-0-0-2"]))
    tomorrow = parse(pool_event(["ip-10-0-0-1"], time="2026-01-06T10:00:00Z"))
    assert today is not None and tomorrow is not None and today.key != tomorrow.key
    assert "your nodes there: 2" in today.title and ("Your nodes", "ip-10-0-0-1, ip-10-0-0-2") in today.facts


def test_a_pool_without_the_tenants_nodes_is_refused() -> None:
    with pytest.raises(FieldError, match=r"detail\.nodes"):
        parse(pool_event([]))


def test_safe_mode_is_keyed_by_the_settings_version() -> None:
    detail = safe_mode_detail("acme", True, "user:admin@acme.example", 4)
    event = {"id": "s", "detail-type": "CloudOptim Safe Mode Switched", "source": "cloudoptim.api",
             "time": "2026-01-05T10:00:00Z", "detail": detail}  # fmt: skip
    alert = parse(event)
    assert alert is not None and alert.key == "alert#acme#safe-mode#v4" and "on" in alert.title


@pytest.mark.parametrize(
    ("event", "where"),
    [
        ({"id": "x", "detail-type": "Anything", "source": "cloudoptim.api", "time": "2026-01-05T10:00:00Z",
          "detail": {}}, "detail-type"),
        ({**pool_event(["n"]), "source": "evil.example"}, "detail-type"),  # a detail-type from the wrong source
        (execution_event(tenant_id="../other"), "detail.input"),
        ({**execution_event(), "detail": {**execution_event()["detail"], "input": "not json"}}, "detail.input"),
        ({"detail-type": "CloudOptim Pool Escalated"}, "id"),
    ],
)  # fmt: skip
def test_a_malformed_event_is_refused_with_the_field_named(event: dict[str, Any], where: str) -> None:
    with pytest.raises(FieldError) as raised:
        parse(event)
    assert raised.value.field == where


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # not https
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/hook",
        "https://[::1]/hook",
        "https://metadata.google.internal/x",
        "https://intranet/x",  # a single-label name resolves inside a VPC's search domain
        "https://user:pass@hooks.example.com/x",
        "https://hooks.example.com:99999/x",
        "ftp://hooks.example.com/x",
    ],
)
def test_webhook_urls_must_be_https_to_a_public_host(url: str) -> None:
    with pytest.raises(FieldError):
        webhook_host(url, allow_loopback=False)


def test_local_mode_may_allow_a_loopback_receiver_and_nothing_else_private() -> None:
    assert webhook_host("http://127.0.0.1:8765/hook", allow_loopback=True) == "127.0.0.1"
    with pytest.raises(FieldError):
        webhook_host("http://10.0.0.5/hook", allow_loopback=True)
    assert webhook_host("https://8.8.8.8/x", allow_loopback=False) == "8.8.8.8"
