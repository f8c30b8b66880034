"""`GET/PUT /v1/notifications` through HTTP: the webhook URL goes to the secret store and never comes back (not to
a viewer, not to an admin, not into the audit log); bad input changes nothing; a safe-mode switch is announced."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudoptim.errors import TransientAwsError
from cloudoptim.notifications.alerts import SAFE_MODE_SWITCHED, parse
from tests.fakes.notifications import FakeWebhookSecrets, RecordingBus
from tests.support.api import ApiWorld, api_world

HOOK = "https://hooks.slack.com/services/T0/B0/very-secret"


@pytest.fixture
def world(tmp_path: Path) -> ApiWorld:
    return api_world(tmp_path)


def _secrets(world: ApiWorld) -> FakeWebhookSecrets:
    secrets = world.app.state.deps.notifications.secrets
    assert isinstance(secrets, FakeWebhookSecrets)
    return secrets


def test_the_webhook_url_is_stored_as_a_secret_and_never_returned(world: ApiWorld) -> None:
    body = {"emails": ["finops@acme.example", "cfo@acme.example"], "webhook": {"kind": "slack", "url": HOOK}}
    put = world.client.put("/v1/notifications", json=body, headers=world.headers("acme"))
    assert put.status_code == 200, put.text
    assert put.json()["webhook"] == {"kind": "slack", "host": "hooks.slack.com"} and put.headers["ETag"] == '"1"'
    assert _secrets(world).values == {"cloudoptim/acme/webhook": HOOK}
    for role in ("viewer", "admin"):
        read = world.client.get("/v1/notifications", headers=world.headers("acme", role))
        assert read.status_code == 200 and "very-secret" not in read.text
        assert read.json()["emails"] == ["cfo@acme.example", "finops@acme.example"]
    entries = world.tenancy.audit.documents("acme")  # type: ignore[attr-defined]
    assert any(e["action"] == "notifications.replace" for e in entries)
    assert "very-secret" not in str(entries)


def test_omitting_the_webhook_keeps_it_and_null_removes_it_and_its_secret(world: ApiWorld) -> None:
    admin = world.headers("acme")
    world.client.put("/v1/notifications", json={"webhook": {"kind": "slack", "url": HOOK}}, headers=admin)
    kept = world.client.put("/v1/notifications", json={"emails": ["a@acme.example"]}, headers=admin)
    assert kept.json()["webhook"]["host"] == "hooks.slack.com"
    removed = world.client.put("/v1/notifications", json={"emails": [], "webhook": None}, headers=admin)
    assert removed.json()["webhook"] is None and _secrets(world).values == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"webhook": {"kind": "slack", "url": "https://169.254.169.254/latest"}}, "webhook.url"),
        ({"webhook": {"kind": "slack", "url": "http://hooks.slack.com/x"}}, "webhook.url"),
        ({"webhook": {"kind": "slack"}}, "webhook.url"),  # nothing stored to keep
        ({"emails": ["not-an-address"]}, "emails"),
        ({"webhook": {"kind": "teams", "url": HOOK}}, "webhook"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(world: ApiWorld, body: dict[str, object], field: str) -> None:
    answer = world.client.put("/v1/notifications", json=body, headers=world.headers("acme"))
    assert answer.status_code in (400, 422), answer.text
    assert field in answer.text
    assert _secrets(world).values == {}
    assert world.client.get("/v1/notifications", headers=world.headers("acme")).json()["version"] == 0


def test_only_an_admin_changes_them_under_if_match(world: ApiWorld) -> None:
    body = {"emails": ["a@acme.example"]}
    operator = world.client.put("/v1/notifications", json=body, headers=world.headers("acme", "operator"))
    assert operator.status_code == 403
    stale = world.client.put("/v1/notifications", json=body, headers=world.headers("acme", **{"If-Match": '"3"'}))
    assert stale.status_code == 412


def test_a_safe_mode_switch_is_announced_on_the_bus(world: ApiWorld) -> None:
    bus = world.app.state.deps.notifications.bus
    assert isinstance(bus, RecordingBus)
    assert world.client.put("/v1/settings/safe-mode", json={"enabled": True}, headers=world.headers("acme")).is_success
    [(source, detail_type, detail)] = bus.events
    assert detail_type == SAFE_MODE_SWITCHED
    event = {"id": "1", "detail-type": detail_type, "source": source, "time": "2026-01-01T00:00:00Z", "detail": detail}
    alert = parse(event)
    assert alert is not None and alert.tenant == "acme" and alert.key == "alert#acme#safe-mode#v1"


def test_a_failing_bus_does_not_fail_the_switch(world: ApiWorld) -> None:
    bus = world.app.state.deps.notifications.bus
    bus.fail("publish", TransientAwsError("PutEvents throttled"))
    answer = world.client.put("/v1/settings/safe-mode", json={"enabled": True}, headers=world.headers("acme"))
    assert answer.status_code == 200 and answer.json()["safe_mode"] is True
