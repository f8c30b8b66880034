"""Classify an EC2 notice into what the pipeline does about it, with a deadline and reasons.

>>> c = classify(Notice("EC2 Spot Instance Interruption Warning", "i-1", 1_000, "terminate"))
>>> (c.kind, c.action, c.deadline)
('interruption', 'drain-and-launch', 1120)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["interruption", "rebalance", "scheduled-change", "state-change"]
Action = Literal["drain-and-launch", "replace-then-drain", "record-only", "ignore"]

SPOT_INTERRUPTION = "EC2 Spot Instance Interruption Warning"
REBALANCE = "EC2 Instance Rebalance Recommendation"
STATE_CHANGE = "EC2 Instance State-change Notification"
HEALTH = "AWS Health Event"
DETAIL_TYPES = (SPOT_INTERRUPTION, REBALANCE, STATE_CHANGE, HEALTH)

# The states Karpenter and NTH act on; "pending"/"running" are ordinary life-cycle noise.
ENDING_STATES = frozenset({"stopping", "stopped", "shutting-down", "terminated"})


class ClassifyPolicy(BaseModel):
    """How long each kind of notice leaves us to drain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interruption_notice_seconds: int = Field(120, gt=0, description="EC2 reclaims a Spot node 2 minutes after")
    # Rebalance recommendations "are generally sent 10-20 minutes before an interruption" (Karpenter design
    # doc); 10 minutes keeps a drain that outlives the risk window from running forever.
    voluntary_drain_seconds: int = Field(600, gt=0, description="drain budget of rebalance and scheduled changes")
    flag_kinds: frozenset[str] = frozenset({"interruption"})
    max_clock_skew_seconds: int = Field(60, ge=0, description="a notice dated later than now + this is refused")
    record_only_max_age_seconds: int = Field(600, gt=0, description="a state change older than this is refused")


@dataclass(frozen=True, slots=True)
class Notice:
    """The facts of one EC2 notice the engine needs (adapters build it from the EventBridge event)."""

    detail_type: str
    instance_id: str
    event_time: int
    action_or_state: str | None = None  # instance-action of a warning, state of a state change
    start_time: int | None = None  # a scheduled change's start, when the Health event gives one


@dataclass(frozen=True, slots=True)
class Classification:
    """What to do about a notice. `kind` is None for a notice the pipeline ignores."""

    kind: Kind | None
    action: Action
    deadline: int | None
    flag_pool: bool
    reasons: tuple[str, ...]

    @property
    def starts_workflow(self) -> bool:
        return self.action != "ignore"


def classify(notice: Notice, policy: ClassifyPolicy | None = None) -> Classification:
    """Kind, action and deadline of a notice; unknown detail types and routine state changes are ignored."""
    policy = policy or ClassifyPolicy()
    t = notice.event_time
    if notice.detail_type == SPOT_INTERRUPTION:
        deadline = t + policy.interruption_notice_seconds
        return _decided(
            "interruption",
            "drain-and-launch",
            deadline,
            policy,
            f"Spot interruption warning: EC2 reclaims the node {policy.interruption_notice_seconds} s after the "
            "event, so cordon and drain now and launch the replacement in parallel",
        )
    if notice.detail_type == REBALANCE:
        return _decided(
            "rebalance",
            "replace-then-drain",
            t + policy.voluntary_drain_seconds,
            policy,
            "rebalance recommendation: the pool's risk rose; launch a replacement first, drain once it is Ready",
        )
    if notice.detail_type == HEALTH:
        deadline = notice.start_time if notice.start_time and notice.start_time > t else t
        deadline = max(deadline, t + policy.voluntary_drain_seconds)
        return _decided(
            "scheduled-change",
            "replace-then-drain",
            deadline,
            policy,
            "AWS Health scheduled change for the instance: replace first, then drain, as for a rebalance",
        )
    if notice.detail_type == STATE_CHANGE:
        return _state_change(notice, policy)
    return Classification(None, "ignore", None, False, (f"unknown detail type {notice.detail_type!r}",))


def _state_change(notice: Notice, policy: ClassifyPolicy) -> Classification:
    state = notice.action_or_state or "unknown"
    if state not in ENDING_STATES:
        return Classification(None, "ignore", None, False, (f"state {state!r} needs no action",))
    return _decided(
        "state-change",
        "record-only",
        None,
        policy,
        f"instance is {state}: too late to drain, record the loss so the outcome is audited",
    )


def _decided(kind: Kind, action: Action, deadline: int | None, policy: ClassifyPolicy, reason: str) -> Classification:
    flag = kind in policy.flag_kinds
    why_flag = "pool flagged in the hive mind" if flag else "pool not flagged: only interruptions flag pools"
    return Classification(kind, action, deadline, flag, (reason, why_flag))


def refusal(notice: Notice, decided: Classification, now: int, policy: ClassifyPolicy | None = None) -> str | None:
    """Why a well-formed notice must start nothing: dated in the future, or too old to act on (a replay).

    >>> warning = Notice(SPOT_INTERRUPTION, "i-1", 1_000)
    >>> refusal(warning, classify(warning), now=1_100) is None, refusal(warning, classify(warning), now=1_121)
    (True, 'stale: the notice of 1000 is past its deadline 1120 (a replay, or too late)')
    """
    policy = policy or ClassifyPolicy()
    if notice.event_time > now + policy.max_clock_skew_seconds:
        return f"dated {notice.event_time - now} s in the future: not an event AWS sent"
    deadline = decided.deadline
    if deadline is None:
        deadline = notice.event_time + policy.record_only_max_age_seconds
    if now > deadline:
        return f"stale: the notice of {notice.event_time} is past its deadline {deadline} (a replay, or too late)"
    return None
