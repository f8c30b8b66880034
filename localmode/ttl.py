"""A TTL sweeper: moto never expires DynamoDB TTL items, so local mode deletes them itself.

Readers already treat `expires_at <= now` as absent (real DynamoDB also deletes lazily); the sweep only
keeps a long-running local stack from growing and makes `scan` counts honest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def sweep_table(dynamodb: Any, table: str, now: float) -> int:
    """Delete the items of `table` whose TTL attribute is at or before `now`; returns how many."""
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    attribute = ttl.get("AttributeName")
    if ttl.get("TimeToLiveStatus") != "ENABLED" or not attribute:
        return 0
    keys = [k["AttributeName"] for k in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]]
    deleted = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            expires = item.get(attribute, {}).get("N")
            if expires is not None and float(expires) <= now:
                dynamodb.delete_item(TableName=table, Key={k: item[k] for k in keys})
                deleted += 1
    return deleted


@dataclass
class TtlSweeper:
    """Sweeps `tables` every `interval_seconds` in a daemon thread; `deleted` counts the items removed."""

    dynamodb: Any
    tables: list[str]
    interval_seconds: float = 30.0
    clock: Callable[[], float] = time.time
    deleted: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sweep(self) -> int:
        removed = sum(sweep_table(self.dynamodb, table, self.clock()) for table in self.tables)
        self.deleted += removed
        return removed

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ttl-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            try:
                self.sweep()
            except Exception:
                continue
