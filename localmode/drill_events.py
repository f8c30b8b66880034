"""The notices the drill sends, in the format EC2 gives them to EventBridge, and the plan of what to send.

AWS sends one interruption warning per Spot instance (two minutes before it reclaims it), sometimes after
a rebalance recommendation. The drill keeps that shape: every unique notice targets an instance that has
not had one yet, and the instance then leaves the pool of targets (it is being drained and replaced); the
replacement joins the pool once its node registers. A duplicate is the same EventBridge event (same id)
delivered twice to the queue, EventBridge's at-least-once delivery; PutEvents cannot make one, since it
assigns every call a new id.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from localmode.faults import FAULT_KINDS

INTERRUPTION = "EC2 Spot Instance Interruption Warning"
REBALANCE = "EC2 Instance Rebalance Recommendation"


def notice_entry(
    bus: str, detail_type: str, instance_id: str, region: str, account: str, at: datetime | None = None
) -> dict[str, Any]:
    """A PutEvents entry as EC2 emits the notice (source aws.ec2, the instance in `resources`); `at` dates it
    (EventBridge delivering it late), now when None."""
    detail: dict[str, Any] = {"instance-id": instance_id}
    if detail_type == INTERRUPTION:
        detail["instance-action"] = "terminate"
    entry: dict[str, Any] = {
        "EventBusName": bus,
        "Source": "aws.ec2",
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "Resources": [f"arn:aws:ec2:{region}:{account}:instance/{instance_id}"],
    }
    if at is not None:
        entry["Time"] = at
    return entry


@dataclass(frozen=True)
class DrillPlan:
    """Which of the `events` sends are duplicates (by position), which kind each unique notice is, which unique
    notices get a fault (index -> fault kind) and after which send each hostile message goes."""

    events: int
    duplicates: int
    duplicate_at: frozenset[int]
    kinds: tuple[str, ...]  # one per unique notice
    faults: dict[int, str] = field(default_factory=dict)  # unique notice index -> fault kind
    hostile_after: tuple[int, ...] = ()  # one per hostile message: the send it follows

    @classmethod
    def make(
        cls,
        events: int,
        duplicate_fraction: float,
        seed: int,
        rebalance_share: float = 0.3,
        fault_fraction: float = 0.0,
        hostile: int = 0,
    ) -> DrillPlan:
        """Duplicates never come first: each repeats a notice already sent. Faults cycle through FAULT_KINDS over
        a random `fault_fraction` of the unique notices; hostile messages are spread at random between sends.

        >>> p = DrillPlan.make(20, 0.1, seed=1, fault_fraction=0.25, hostile=3)
        >>> (p.events, p.duplicates, len(p.kinds), min(p.duplicate_at) > 0, len(p.faults), len(p.hostile_after))
        (20, 2, 18, True, 4, 3)
        """
        rng = random.Random(seed)
        duplicates = min(events - 1, round(events * duplicate_fraction)) if events > 1 else 0
        positions = frozenset(rng.sample(range(1, events), duplicates)) if duplicates else frozenset()
        unique = events - duplicates
        kinds = tuple(REBALANCE if rng.random() < rebalance_share else INTERRUPTION for _ in range(unique))
        faulted = sorted(rng.sample(range(unique), min(unique, round(unique * fault_fraction))))
        faults = {index: FAULT_KINDS[n % len(FAULT_KINDS)] for n, index in enumerate(faulted)}
        hostile_after = tuple(sorted(rng.randrange(events) for _ in range(hostile)))
        return cls(events, duplicates, positions, kinds, faults, hostile_after)
