"""In-memory adapters of the notification ports (cloudoptim.notifications.ports), recording what was sent, with
fault injection (`fail("post", DeliveryError(...))`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudoptim.errors import RecordNotFoundError
from cloudoptim.notifications.templates import Email
from tests.fakes.faulty import _Faulty


@dataclass
class FakeWebhookSecrets(_Faulty):
    values: dict[str, str] = field(default_factory=dict)

    def put(self, tenant: str, url: str) -> str:
        self._check("put")
        name = f"cloudoptim/{tenant}/webhook"
        self.values[name] = url
        return name

    def get(self, name: str) -> str:
        self._check("get")
        if name not in self.values:
            raise RecordNotFoundError(f"webhook secret {name} is missing")
        return self.values[name]

    def delete(self, tenant: str) -> None:
        self._check("delete")
        self.values.pop(f"cloudoptim/{tenant}/webhook", None)


@dataclass
class MemoryMailer(_Faulty):
    sent: list[tuple[tuple[str, ...], Email]] = field(default_factory=list)

    def send(self, recipients: Sequence[str], message: Email) -> str:
        self._check("send")
        self.sent.append((tuple(recipients), message))
        return f"message-{len(self.sent)}"


@dataclass
class RecordingWebhook(_Faulty):
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)

    def post(self, url: str, body: Mapping[str, Any], key: str | None = None) -> int:
        self._check("post")
        self.posts.append((url, dict(body)))
        self.keys.append(key)
        return 200


@dataclass
class RecordingBus(_Faulty):
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def publish(self, source: str, detail_type: str, detail: Mapping[str, Any]) -> None:
        self._check("publish")
        self.events.append((source, detail_type, dict(detail)))
