"""Lambda `waste_scan` (daily): every onboarded account region through the tenant's role: ghost instances, zombie
volumes, unused public IPv4 and cross-AZ traffic (where flow-log data can be read). Findings are proposals.

Event: the EventBridge schedule. Result: per account region the findings and monthly waste, or its error.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.observability import count, instrumented
from cloudoptim.settings import WasteSettings
from cloudoptim.waste.ports import WasteDeps
from cloudoptim.waste.scan import scan_all
from cloudoptim.wiring.waste import waste_deps


@functools.cache
def root() -> WasteDeps:
    return waste_deps(WasteSettings.from_env(os.environ))


def handle(event: dict[str, Any], deps: WasteDeps, now: int) -> dict[str, Any]:
    scans = scan_all(deps, now)
    count("WasteFindings", sum(s.findings for s in scans))
    return {"accounts": [s.as_json() for s in scans]}


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
