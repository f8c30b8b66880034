"""Hibernation's records in the tenant's documents: the schedule (`hibernation-schedule/<cluster>`), the cluster's
state with its recent sleeps and wakes (`hibernation/<cluster>`), and one snapshot per sleep
(`hibernation-snapshot/<cluster>@<time>`), created once and never replaced."""

from __future__ import annotations

import copy
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from cloudoptim.errors import ConflictError, PreconditionFailedError, TransientAwsError
from cloudoptim.tenancy.ports import Document, Documents, Json
from engines.hibernation.schedule import Schedule

SCHEDULE, STATE, SNAPSHOT = "hibernation-schedule", "hibernation", "hibernation-snapshot"
ACTOR = "cloudoptim:hibernation"
HISTORY_KEPT = 50
RACES = 5


class Phase(StrEnum):
    AWAKE = "awake"
    SLEEPING = "sleeping"
    ASLEEP = "asleep"
    WAKING = "waking"


DEFAULT_STATE: Json = {"state": Phase.AWAKE.value, "since": None, "dry_run": False, "manual_wake_until": None,
                       "snapshot": None, "execution": None, "error": None, "history": []}  # fmt: skip


def schedule_of(documents: Documents, tenant: str, cluster: str) -> Schedule | None:
    found = documents.get(tenant, SCHEDULE, cluster)
    return Schedule.model_validate(found.body) if found is not None else None


def state_of(documents: Documents, tenant: str, cluster: str) -> Document:
    """Version 0 is the default (awake, nothing recorded): its first write creates the document."""
    found = documents.get(tenant, STATE, cluster)
    return found or Document(STATE, cluster, copy.deepcopy(dict(DEFAULT_STATE)), 0, 0, 0)


def write_state(documents: Documents, tenant: str, current: Document, body: Json, now: int) -> Document:
    """Conditional on the version read: ConflictError / PreconditionFailedError when someone wrote first."""
    if current.version == 0:
        return documents.create(tenant, STATE, current.id, body, now)
    return documents.replace(tenant, STATE, current.id, body, current.version, now)


def update_state(
    documents: Documents, tenant: str, cluster: str, change: Callable[[dict[str, Any]], dict[str, Any]], now: int
) -> Document:
    """Read, change, write under the version read; a concurrent writer makes it read again."""
    for _ in range(RACES):
        current = state_of(documents, tenant, cluster)
        try:
            return write_state(documents, tenant, current, change(copy.deepcopy(dict(current.body))), now)
        except (ConflictError, PreconditionFailedError):
            continue
    raise TransientAwsError(f"hibernation state of {cluster}: {RACES} concurrent writers in a row")


def remember(body: dict[str, Any], event: Json) -> dict[str, Any]:
    """The state with `event` first in its recent history (newest first, bounded)."""
    history = [dict(event), *[e for e in body.get("history") or [] if e.get("execution") != event.get("execution")]]
    body["history"] = history[:HISTORY_KEPT]
    return body


def snapshot_id(cluster: str, at: int) -> str:
    return f"{cluster}@{at:012d}"


def create_snapshot(documents: Documents, tenant: str, snapshot: str, body: Json, now: int) -> Document:
    """Created once; a retried step gets the first one back, never a second, newer one."""
    try:
        return documents.create(tenant, SNAPSHOT, snapshot, body, now)
    except ConflictError:
        found = documents.get(tenant, SNAPSHOT, snapshot)
        assert found is not None
        return found


def snapshot_of(documents: Documents, tenant: str, snapshot: str) -> Document | None:
    return documents.get(tenant, SNAPSHOT, snapshot)
