"""Lambda `notify_event`: a high-priority event (an Execute workflow that failed, a pool confirmed risky with the
tenant's nodes, safe mode switched) to the tenant's Slack or generic webhook, once per alert.

Event: what EventBridge delivers (docs/notifications.md). Result: sent, duplicate, ignored or skipped. A malformed
event or a failed post raises: Lambda retries the asynchronous invocation twice, then the dead-letter queue keeps it.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.notifications.deliver import deliver
from cloudoptim.notifications.ports import AlertDeps
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import NotifyEventSettings
from cloudoptim.wiring.notifications import alert_deps


@functools.cache
def root() -> AlertDeps:
    return alert_deps(NotifyEventSettings.from_env(os.environ))


def handle(event: dict[str, Any], deps: AlertDeps, now: int) -> dict[str, Any]:
    result = deliver(deps, event, now)
    count("AlertsSent", int(result.outcome == "sent"))
    return result.as_json()


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
