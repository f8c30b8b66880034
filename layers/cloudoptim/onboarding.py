"""Per-tenant CloudFormation onboarding template (pure: a dict out, no AWS calls)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EVENT_BUS_NAME = "cloudoptim-events"

INTERRUPTION_EVENT_PATTERNS: tuple[Mapping[str, Any], ...] = (
    {
        "source": ["aws.ec2"],
        "detail-type": [
            "EC2 Spot Instance Interruption Warning",
            "EC2 Instance Rebalance Recommendation",
            "EC2 Instance State-change Notification",
        ],
    },
    {
        "source": ["aws.health"],
        "detail-type": ["AWS Health Event"],
        "detail": {"service": ["EC2"], "eventTypeCategory": ["scheduledChange"]},
    },
)
