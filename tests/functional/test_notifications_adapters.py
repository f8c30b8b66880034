"""The notification adapters: SES v2, Secrets Manager and EventBridge on moto; the webhook poster against a real
HTTP server on 127.0.0.1 (timeouts, bounded retries, no redirects, private addresses refused)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from cloudoptim.adapters.aws.notifications import EventBridgeAlerts, SecretsWebhooks, SesMailer
from cloudoptim.adapters.webhooks import HttpWebhook
from cloudoptim.errors import AwsAdapterError, DeliveryError, RecordNotFoundError
from cloudoptim.notifications.templates import Email

REGION = "eu-west-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def test_ses_sends_from_the_verified_sender_only(aws: None) -> None:
    ses = boto3.client("sesv2", region_name=REGION)
    message = Email("CloudOptim 2026-W01", "text part", "<p>html part</p>")
    with pytest.raises(AwsAdapterError):
        SesMailer(ses, "notifications@cloudoptim.example").send(["a@acme.example"], message)  # not verified
    ses.create_email_identity(EmailIdentity="cloudoptim.example")
    message_id = SesMailer(ses, "notifications@cloudoptim.example").send(["a@acme.example"], message)
    [sent] = [m for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages if m.id == message_id]
    assert sent.destinations["ToAddresses"] == ["a@acme.example"] and sent.subject == "CloudOptim 2026-W01"


def test_the_webhook_secret_is_created_replaced_read_and_deleted(aws: None) -> None:
    store = SecretsWebhooks(boto3.client("secretsmanager", region_name=REGION))
    name = store.put("acme", "https://hooks.example.com/1")
    assert name == "cloudoptim/acme/webhook" and store.put("acme", "https://hooks.example.com/2") == name
    assert store.get(name) == "https://hooks.example.com/2"
    store.delete("acme")
    store.delete("acme")  # already gone: nothing to do
    with pytest.raises(RecordNotFoundError):
        store.get(name)


def test_an_alert_is_put_on_the_default_bus(aws: None) -> None:
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="tap", EventPattern=json.dumps({"source": ["cloudoptim.api"]}))
    events.put_targets(Rule="tap", Targets=[{"Id": "q", "Arn": arn}])
    EventBridgeAlerts(events).publish("cloudoptim.api", "CloudOptim Safe Mode Switched", {"tenant_id": "acme"})
    [message] = sqs.receive_message(QueueUrl=queue)["Messages"]
    event = json.loads(message["Body"])
    assert event["detail-type"] == "CloudOptim Safe Mode Switched" and event["detail"] == {"tenant_id": "acme"}


class Receiver(BaseHTTPRequestHandler):
    answers: ClassVar[list[int]] = []
    bodies: ClassVar[list[Any]] = []
    keys: ClassVar[list[str | None]] = []

    def do_POST(self) -> None:
        type(self).keys.append(self.headers.get("Idempotency-Key"))
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        status = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.answers, Receiver.bodies, Receiver.keys = [], [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook?team=ops"
    finally:
        server.shutdown()
        server.server_close()


def poster(**settings: Any) -> tuple[HttpWebhook, list[float]]:
    slept: list[float] = []
    return HttpWebhook(allow_loopback=True, timeout_seconds=2, sleep=slept.append, **settings), slept


def test_a_post_is_retried_on_5xx_with_backoff_then_succeeds(receiver: str) -> None:
    Receiver.answers = [503, 500]
    webhook, slept = poster()
    assert webhook.post(receiver, {"text": "hi"}) == 200
    assert slept == [0.5, 1.0] and Receiver.bodies == [{"text": "hi"}] * 3


def test_every_attempt_carries_the_same_idempotency_key(receiver: str) -> None:
    Receiver.answers = [503]
    webhook, _ = poster()
    assert webhook.post(receiver, {"text": "hi"}, key="alert#acme#e-1") == 200
    assert webhook.post(receiver, {"text": "no key"}) == 200
    assert Receiver.keys == ["alert#acme#e-1", "alert#acme#e-1", None]


def test_attempts_are_bounded_and_the_failure_is_raised(receiver: str) -> None:
    Receiver.answers = [503, 503, 503, 200]
    with pytest.raises(DeliveryError, match="3 times"):
        poster()[0].post(receiver, {"text": "hi"})
    assert len(Receiver.bodies) == 3


def test_a_redirect_is_not_followed_and_a_4xx_not_retried(receiver: str) -> None:
    Receiver.answers = [302]
    with pytest.raises(DeliveryError, match="302"):
        poster()[0].post(receiver, {})
    Receiver.answers = [404]
    with pytest.raises(DeliveryError, match="404"):
        poster()[0].post(receiver, {})
    assert len(Receiver.bodies) == 2


def test_nothing_listening_times_out_or_is_refused_within_the_bound() -> None:
    webhook, slept = poster()
    with pytest.raises(DeliveryError, match="ConnectionRefused"):
        webhook.post("http://127.0.0.1:9/hook", {})  # discard port: nothing listens
    assert len(slept) == 2


@pytest.mark.parametrize("address", ["169.254.169.254", "10.1.2.3", "127.0.0.1", "::1", "fd00::1"])
def test_a_name_resolving_to_a_private_address_is_refused_before_connecting(address: str) -> None:
    webhook = HttpWebhook(resolver=lambda host, port: [address], sleep=lambda s: None)
    with pytest.raises(DeliveryError, match="not a public address"):
        webhook.post("https://hooks.example.com/x", {})


def test_plain_http_is_refused_to_a_public_address() -> None:
    webhook = HttpWebhook(resolver=lambda host, port: ["93.184.215.14"], sleep=lambda s: None)
    with pytest.raises(DeliveryError, match="https only"):
        webhook.post("http://hooks.example.com/x", {})
