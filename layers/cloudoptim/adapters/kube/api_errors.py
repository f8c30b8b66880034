"""How the API server's refusals become the adapter's typed errors; a 429 naming a DisruptionBudget is no error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import urllib3
from kubernetes.client.exceptions import ApiException

from cloudoptim.errors import (
    KubeApiError,
    KubeAuthError,
    KubeConflictError,
    KubeError,
    KubeNotFoundError,
    KubeThrottledError,
    KubeTlsError,
    KubeUnavailableError,
)

DISRUPTION_BUDGET_CAUSE = "DisruptionBudget"


@contextmanager
def translated(what: str) -> Iterator[None]:
    try:
        yield
    except ApiException as exc:
        raise error_for(exc, what) from exc
    except urllib3.exceptions.HTTPError as exc:
        # urllib3 wraps the last failure of its retries; a certificate that does not verify will not on a retry.
        if isinstance(exc, urllib3.exceptions.SSLError) or isinstance(
            getattr(exc, "reason", None), urllib3.exceptions.SSLError
        ):
            raise KubeTlsError(f"{what}: the API server's certificate does not verify against the cluster CA") from exc
        raise KubeUnavailableError(f"{what}: API server unreachable ({type(exc).__name__})") from exc


def error_for(exc: ApiException, what: str) -> KubeError:
    status = int(exc.status or 0)
    detail = f"{what}: HTTP {status} {_status_message(exc) or exc.reason or ''}".rstrip()
    if status in (401, 403):
        return KubeAuthError(detail)
    if status == 404:
        return KubeNotFoundError(detail)
    if status == 409:
        return KubeConflictError(detail)
    if status == 429:
        return KubeThrottledError(detail)
    if status == 0 or status >= 500:
        return KubeUnavailableError(detail)
    return KubeApiError(detail)


def _status_body(exc: ApiException) -> dict[str, Any]:
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _status_message(exc: ApiException) -> str:
    return str(_status_body(exc).get("message") or "")


def budget_refusal(exc: ApiException) -> str | None:
    """The refusal message when a 429 names a DisruptionBudget cause (not a throttle)."""
    if exc.status != 429:
        return None
    details = _status_body(exc).get("details") or {}
    causes = details.get("causes") or [] if isinstance(details, dict) else []
    budget = [c for c in causes if isinstance(c, dict) and c.get("reason") == DISRUPTION_BUDGET_CAUSE]
    if not budget:
        return None
    return "; ".join(str(c.get("message") or _status_message(exc)) for c in budget)
