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
from dataclasses import dataclass
from typing import Any

INTERRUPTION = "EC2 Spot Instance Interruption Warning"
REBALANCE = "EC2 Instance Rebalance Recommendation"


def notice_entry(bus: str, detail_type: str, instance_id: str, region: str, account: str) -> dict[str, Any]:
    """A PutEvents entry as EC2 emits the notice (source aws.ec2, the instance in `resources`)."""
    detail: dict[str, Any] = {"instance-id": instance_id}
    if detail_type == INTERRUPTION:
        detail["instance-action"] = "terminate"
    return {
        "EventBusName": bus,
        "Source": "aws.ec2",
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "Resources": [f"arn:aws:ec2:{region}:{account}:instance/{instance_id}"],
    }


@dataclass(frozen=True)
class DrillPlan:
    """Which of the `events` sends are duplicates (by position) and which kind each unique notice is."""

    events: int
    duplicates: int
    duplicate_at: frozenset[int]
    kinds: tuple[str, ...]  # one per unique notice

    @classmethod
    def make(cls, events: int, duplicate_fraction: float, seed: int, rebalance_share: float = 0.3) -> DrillPlan:
        """Duplicates never come first: each repeats a notice already sent.

        >>> p = DrillPlan.make(20, 0.1, seed=1)
        >>> (p.events, p.duplicates, len(p.kinds), min(p.duplicate_at) > 0)
        (20, 2, 18, True)
        """
        rng = random.Random(seed)
        duplicates = min(events - 1, round(events * duplicate_fraction)) if events > 1 else 0
        positions = frozenset(rng.sample(range(1, events), duplicates)) if duplicates else frozenset()
        kinds = tuple(REBALANCE if rng.random() < rebalance_share else INTERRUPTION for _ in range(events - duplicates))
        return cls(events, duplicates, positions, kinds)
