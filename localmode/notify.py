"""`cloudoptim local notify`: the notifications on the local stack, end to end.

On a started `LocalStack` (tenant `demo`, swept first so the summary has figures): a webhook receiver listens on
127.0.0.1; the notification settings are saved through the local API (`PUT /v1/notifications`: the URL goes to
Secrets Manager in moto); the weekly summary is composed by the same use case the Monday schedule runs and written
to a file outbox (`$CLOUDOPTIM_HOME/outbox/demo/*.eml`) instead of SES; then high-priority events travel the real
path: safe mode switched through the API (which puts the event on the bus), a pool escalation and a failed Execute
workflow put on the bus, each matched by the stack's rules and posted by `notify_event` to the receiver. The same
pool event handed to the function again (an at-least-once duplicate) posts nothing.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from cloudoptim.notifications.alerts import (
    EXECUTION_STATUS,
    INTERRUPTIONS_SOURCE,
    POOL_ESCALATED,
)
from cloudoptim.notifications.templates import Email
from cloudoptim.notifications.weekly import send_one
from cloudoptim.settings import WeeklySummarySettings
from cloudoptim.wiring.notifications import weekly_deps
from localmode.api import LocalApiServer, local_app, token
from localmode.aws import free_port
from localmode.stack import LocalStack
from localmode.sweep_drill import SweepDrill

RECIPIENT = "finops@demo.example"


class NotifyDrillError(RuntimeError):
    pass


@dataclass
class FileOutbox:
    """The `Mailer` of a laptop: one RFC 5322 file per email (text and HTML parts), in the tenant's folder."""

    folder: Path
    sender: str = "notifications@cloudoptim.local"

    def send(self, recipients: Sequence[str], message: Email) -> str:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, ", ".join(recipients), message.subject
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(mail))
        return str(path)


@dataclass
class WebhookReceiver:
    """A webhook on 127.0.0.1 that keeps every JSON body posted to it."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with received._lock:
                    received.bodies.append(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/demo"

    def wait_for(self, count: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.bodies) >= count:
                    return list(self.bodies)
            time.sleep(0.1)
        raise NotifyDrillError(f"the webhook received {len(self.bodies)} post(s), {count} expected, in {timeout} s")

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@dataclass
class NotifyDrill:
    stack: LocalStack
    home: Path
    approve: Literal["all", "none"] = "none"
    hours: int = 120  # of usage history sampled before the sweep (SweepDrill)
    timeout_seconds: float = 60.0

    def run(self) -> dict[str, Any]:
        stack = self.stack
        assert stack.deployed is not None and stack.tenant is not None
        tenant = stack.tenant.tenant_id
        sweep = SweepDrill(stack, approve=self.approve, hours=self.hours).run()
        receiver, port = WebhookReceiver(), free_port()
        server = LocalApiServer(
            local_app(stack.deployed.tables, stack.aws.endpoint_url, stack.aws.region, port,
                      stack.deployed.function_env.get("api")), port,
        )  # fmt: skip
        api = server.start()
        try:
            hook = receiver.start()
            admin = {"Authorization": f"Bearer {token(tenant, 'admin')}", "Content-Type": "application/json"}
            saved = _call(api, "PUT", "/v1/notifications", admin,
                          {"emails": [RECIPIENT], "webhook": {"kind": "slack", "url": hook}})  # fmt: skip
            weekly = self._weekly(tenant)
            posted = self._alerts(api, admin, tenant, receiver)
        finally:
            receiver.stop()
            server.stop()
        return {"tenant": tenant, "sweep": sweep["sweep"], "recommendations": sweep["recommendations"],
                "settings": saved, "weekly": weekly, **posted}  # fmt: skip

    def _weekly(self, tenant: str) -> dict[str, Any]:
        assert self.stack.deployed is not None
        env = {**self.stack.deployed.function_env["weekly_summary"], "AWS_REGION": self.stack.aws.region}
        outbox = FileOutbox(self.home / "outbox" / tenant)
        deps = weekly_deps(WeeklySummarySettings.from_env(env), mailer=outbox)
        now = int(time.time())
        first, again = send_one(deps, tenant, now), send_one(deps, tenant, now + 60)  # the schedule retried
        if first.outcome != "sent":
            raise NotifyDrillError(f"weekly summary not sent: {first.outcome} {first.detail}")
        mail = BytesParser(policy=policy.default).parsebytes(Path(first.detail).read_bytes())
        return {"outcome": first.outcome, "again": again.outcome, "week": first.week, "outbox": first.detail,
                "subject": str(mail["Subject"])}  # fmt: skip

    def _alerts(self, api: str, admin: dict[str, str], tenant: str, receiver: WebhookReceiver) -> dict[str, Any]:
        assert self.stack.deployed is not None
        events = self.stack.aws.client("events")
        _call(api, "PUT", "/v1/settings/safe-mode", admin, {"enabled": True})
        receiver.wait_for(1, self.timeout_seconds)
        pool = _pool_detail(tenant, self.stack)
        events.put_events(Entries=[{"Source": INTERRUPTIONS_SOURCE, "DetailType": POOL_ESCALATED,
                                    "Detail": json.dumps(pool)}])  # fmt: skip
        receiver.wait_for(2, self.timeout_seconds)
        execute = str(self.stack.deployed.tables["EXECUTION_STATE_MACHINE_ARN"])
        assert self.stack.tenant is not None
        events.put_events(Entries=[_failed_execution(execute, tenant, self.stack.tenant.cluster)])
        receiver.wait_for(3, self.timeout_seconds)
        # at-least-once: EventBridge hands the same pool event to the function a second time
        duplicate = {"id": "local-duplicate", "detail-type": POOL_ESCALATED, "source": INTERRUPTIONS_SOURCE,
                     "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "detail": pool}  # fmt: skip
        name = self.stack.deployed.functions["notify_event"]
        answer = self.stack.aws.client("lambda").invoke(FunctionName=name, Payload=json.dumps(duplicate).encode())
        redelivered = json.loads(answer["Payload"].read())
        _call(api, "PUT", "/v1/settings/safe-mode", admin, {"enabled": False})
        bodies = receiver.wait_for(4, self.timeout_seconds)
        time.sleep(1.0)  # a late extra post would show here
        return {
            "webhook_posts": len(receiver.bodies),
            "alerts": [b["blocks"][0]["text"]["text"] for b in bodies],
            "duplicate_delivery": redelivered.get("outcome"),
        }


def _call(api: str, method: str, path: str, headers: dict[str, str], body: Any) -> Any:
    request = urllib.request.Request(f"{api}{path}", data=json.dumps(body).encode(), headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _pool_detail(tenant: str, stack: LocalStack) -> dict[str, Any]:
    nodes = sorted(stack.live.snapshot().values(), key=lambda n: n.name)
    spot = [n for n in nodes if n.capacity_type == "spot"] or nodes
    first = spot[0]
    mine = [n.name for n in spot if n.instance_type == first.instance_type and n.zone == first.zone]
    return {
        "tenant_id": tenant, "region": stack.aws.region, "az_id": first.zone, "instance_type": first.instance_type,
        "level": "CONFIRMED_RISKY", "nodes": mine, "reasons": ["local drill: confirmed by the hive mind"],
    }  # fmt: skip


def _failed_execution(machine: str, tenant: str, cluster: str) -> dict[str, Any]:
    started = {
        "tenant_id": tenant, "cluster": cluster, "recommendation_id": "local.001", "execution_id": "local.001.x1",
        "kind": "consolidation", "dry_run": True,
    }  # fmt: skip
    arn = machine.replace(":stateMachine:", ":execution:") + ":local.001.x1"
    detail = {"executionArn": arn, "stateMachineArn": machine, "status": "FAILED", "input": json.dumps(started),
              "error": "ExecutionFailed", "cause": "local drill: a replacement never became Ready"}  # fmt: skip
    return {"Source": "aws.states", "DetailType": EXECUTION_STATUS, "Detail": json.dumps(detail)}
