"""The hand-over of a confirmed pool: one PutEvents per pool and customer count within the repeat window, a new
customer's evidence at once, a failed put not remembered (the notice's retry must put it)."""

from __future__ import annotations

from typing import Any

import pytest

from cloudoptim.adapters.aws.escalations import EventBridgeEscalations
from cloudoptim.errors import TransientAwsError
from engines.interruption.hive import Escalation, HivePool

POOL = HivePool("eu-west-1", "euw1-az1", "m5.large")


class Bus:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.fail = False

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        if self.fail:
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow"}]}
        self.entries.extend(Entries)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": str(len(self.entries))}]}


def _level(customers: int, pool: HivePool = POOL) -> Escalation:
    return Escalation(pool, "CONFIRMED_RISKY", customers, 0.2, ("r",), customers, 1800)


def test_repeats_inside_the_window_put_nothing_and_new_evidence_goes_out_at_once() -> None:
    bus, now = Bus(), [1000.0]
    handover = EventBridgeEscalations(bus, "saas", repeat_seconds=300, clock=lambda: now[0])
    for _ in range(5):
        handover.confirmed(_level(3))
    assert len(bus.entries) == 1
    handover.confirmed(_level(4))  # a fourth customer interrupted: new evidence
    handover.confirmed(_level(3, HivePool("eu-west-1", "euw1-az2", "m5.large")))  # another pool
    assert len(bus.entries) == 3
    now[0] += 301
    handover.confirmed(_level(4))  # the window passed: nodes that joined the pool since get their rebalance
    assert len(bus.entries) == 4


def test_a_failed_put_is_not_remembered() -> None:
    bus = Bus()
    handover = EventBridgeEscalations(bus, "saas")
    bus.fail = True
    with pytest.raises(TransientAwsError, match="ThrottlingException"):
        handover.confirmed(_level(3))
    bus.fail = False
    handover.confirmed(_level(3))
    assert len(bus.entries) == 1
