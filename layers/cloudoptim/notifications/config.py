"""A tenant's notification settings: who gets the weekly email and which webhook gets alerts. The webhook URL is
a credential, so it goes to Secrets Manager and never comes back: the document keeps the secret's name, the kind
and the host, which is all a reader (a viewer included) is shown. Every change is audited without the URL.

>>> webhook_host("https://hooks.slack.com/services/T0/B0/x", allow_loopback=False)
'hooks.slack.com'
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from cloudoptim.errors import CloudOptimError, FieldError, PreconditionFailedError
from cloudoptim.notifications.alerts import API_SOURCE, SAFE_MODE_SWITCHED, safe_mode_detail
from cloudoptim.notifications.ports import NotificationsApi, WebhookKind
from cloudoptim.observability import logger
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.ports import Document, Documents, Json
from cloudoptim.tenancy.principal import Action, Principal
from cloudoptim.tenancy.tenants import audit

NOTIFICATIONS, CURRENT = "notifications", "current"
EMAIL = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"  # noqa: E501
_INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: WebhookKind
    url: str | None = Field(None, max_length=2048, description="write-only; omit to keep the stored one")


class NotificationsIn(BaseModel):
    """PUT body: `emails` replaces the list; `webhook` null removes it, omitted keeps it."""

    model_config = ConfigDict(extra="forbid")
    emails: list[Annotated[str, Field(pattern=EMAIL, max_length=254)]] = Field(default_factory=list, max_length=20)
    webhook: WebhookIn | None = None


def webhook_host(url: str, *, allow_loopback: bool) -> str:
    """The URL's host, or FieldError('webhook.url') unless it is https to a public name or address (SSRF: the
    notifier must not be pointed at the metadata service or a private network). Names are resolved again at
    every post (cloudoptim.adapters.webhooks), since a public name can be made to resolve privately later."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port  # a malformed port raises here
    except ValueError:
        raise FieldError("webhook.url", "not a URL") from None
    if parts.username or parts.password or not host:
        raise FieldError("webhook.url", "an https URL with a host and no user name or password")
    loopback = _is_loopback(host)
    if loopback and allow_loopback and parts.scheme in ("http", "https"):
        return host
    if parts.scheme != "https":
        raise FieldError("webhook.url", "must be https")
    if loopback or host.endswith(_INTERNAL_SUFFIXES) or ("." not in host and not _is_ip(host)):
        raise FieldError("webhook.url", f"{host} is not a public host")
    if _is_ip(host) and not ipaddress.ip_address(host).is_global:
        raise FieldError("webhook.url", f"{host} is a private, loopback or reserved address")
    return host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    return host == "localhost" or (_is_ip(host) and ipaddress.ip_address(host).is_loopback)


def read(documents: Documents, tenant: str) -> Document:
    found = documents.get(tenant, NOTIFICATIONS, CURRENT)
    return found or Document(NOTIFICATIONS, CURRENT, {"emails": [], "webhook": None}, 0, 0, 0)


def get(deps: TenancyDeps, principal: Principal) -> Document:
    principal.require(Action.READ)
    return read(deps.documents, principal.tenant_id)


def replace(
    deps: TenancyDeps, api: NotificationsApi, principal: Principal, body: NotificationsIn, if_match: int | None,
    now: int, webhook_given: bool,
) -> Document:  # fmt: skip
    """`webhook_given`: the body named `webhook` (null removes it); otherwise the stored one is kept."""
    principal.require(Action.CONFIGURE)
    tenant = principal.tenant_id
    current = read(deps.documents, tenant)
    if if_match is not None and if_match != current.version:
        raise PreconditionFailedError(f"notification settings are at version {current.version}, not {if_match}")
    webhook: Json | None = current.body.get("webhook")
    chosen = body.webhook
    if webhook_given and chosen is not None and chosen.url is None and webhook is None:
        raise FieldError("webhook.url", "no webhook is stored yet: send its URL")
    if webhook_given and chosen is not None and chosen.url is not None:
        host = webhook_host(chosen.url, allow_loopback=api.allow_loopback)  # refused before anything is written
        webhook = {"kind": chosen.kind, "host": host, "secret": api.secrets.put(tenant, chosen.url)}
    elif webhook_given and chosen is not None and webhook is not None:
        webhook = {**webhook, "kind": chosen.kind}
    elif webhook_given:
        webhook = None
    after: dict[str, Any] = {"emails": sorted(set(body.emails)), "webhook": webhook}
    if current.version == 0:
        updated = deps.documents.create(tenant, NOTIFICATIONS, CURRENT, after, now)
    else:
        updated = deps.documents.replace(tenant, NOTIFICATIONS, CURRENT, after, current.version, now)
    if webhook is None and current.body.get("webhook"):
        api.secrets.delete(tenant)  # after the document stops naming it: a crash here leaves an unused secret
    audit(deps, principal, "notifications.replace", {"tenant": tenant}, now, before=current.body, after=after)
    return updated


def announce_safe_mode(api: NotificationsApi | None, principal: Principal, settings: Document) -> bool:
    """Put "CloudOptim Safe Mode Switched" on the bus after the switch was stored and audited. A bus that fails
    does not undo or fail the switch (a safety control must work while notifications do not); the audit entry
    records it either way, and the failure is logged. True when announced."""
    if api is None or api.bus is None:
        return False
    enabled = bool(settings.body.get("safe_mode"))
    detail = safe_mode_detail(principal.tenant_id, enabled, principal.actor, settings.version)
    try:
        api.bus.publish(API_SOURCE, SAFE_MODE_SWITCHED, detail)
    except CloudOptimError as exc:
        logger().warning("safe mode switch not announced", extra={"tenant": principal.tenant_id, "error": str(exc)})
        return False
    return True
