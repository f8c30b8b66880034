"""`Webhook` over HTTPS with the standard library: a timeout per attempt, bounded attempts with backoff, no
redirects, and the connection pinned to an address checked to be public (the name is resolved here, each address
checked, and the socket opened to that address with the name kept for TLS), so neither a redirect nor a name that
re-resolves to 169.254.169.254 between the check and the connection can point the notifier inward."""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cloudoptim.errors import DeliveryError

Resolver = Callable[[str, int], list[str]]
RETRIED_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def resolve(host: str, port: int) -> list[str]:
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})
    except OSError as exc:
        raise DeliveryError(f"webhook host {host} does not resolve: {exc}") from exc


class _PinnedHttps(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass
class HttpWebhook:
    allow_loopback: bool = False  # local mode: a receiver on 127.0.0.1 over http
    timeout_seconds: float = 5.0
    attempts: int = 3
    backoff_seconds: float = 0.5
    resolver: Resolver = resolve
    sleep: Callable[[float], None] = time.sleep
    user_agent: str = "CloudOptim-Notifications/1"
    _last_error: str = field(default="", init=False)

    def post(self, url: str, body: Mapping[str, Any], key: str | None = None) -> int:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        address = self._address(host, port, parts.scheme)
        payload = json.dumps(body, separators=(",", ":")).encode()
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"Content-Type": "application/json", "User-Agent": self.user_agent}
        if key:  # the same on every attempt and every redelivery: the receiver's de-duplication key
            headers["Idempotency-Key"] = key
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            status = self._once(parts.scheme, host, address, port, path, payload, headers)
            if status is not None and 200 <= status < 300:
                return status
            if status is not None and status not in RETRIED_STATUSES:
                raise DeliveryError(
                    f"webhook {host} answered {status}: not retried (the URL or the payload is refused)"
                )
        raise DeliveryError(f"webhook {host} failed {self.attempts} times: {self._last_error}")

    def _address(self, host: str, port: int, scheme: str) -> str:
        addresses = self.resolver(host, port)
        if not addresses:
            raise DeliveryError(f"webhook host {host} does not resolve")
        for address in addresses:
            ip = ipaddress.ip_address(address)
            if ip.is_loopback and self.allow_loopback:
                continue
            if not ip.is_global:
                raise DeliveryError(f"webhook host {host} resolves to {address}, which is not a public address")
        if scheme != "https" and not (
            self.allow_loopback and all(ipaddress.ip_address(a).is_loopback for a in addresses)
        ):
            raise DeliveryError(f"webhook {host}: https only")
        return addresses[0]

    def _once(
        self, scheme: str, host: str, address: str, port: int, path: str, payload: bytes, headers: dict[str, str]
    ) -> int | None:
        connection: http.client.HTTPConnection
        if scheme == "https":
            connection = _PinnedHttps(host, address, port, self.timeout_seconds)
        else:
            connection = http.client.HTTPConnection(address, port, timeout=self.timeout_seconds)
        try:
            connection.request("POST", path, body=payload, headers={**headers, "Host": host})
            response = connection.getresponse()
            response.read(65536)
            self._last_error = f"HTTP {response.status}"
            return int(response.status)
        except (OSError, http.client.HTTPException) as exc:  # timeouts, refused, reset, TLS
            self._last_error = f"{type(exc).__name__}: {exc}"
            return None
        finally:
            connection.close()
