"""What CloudOptim does about an EC2 or AWS Health event: the action, a deadline and the reasons.

One decision for the ingest Lambda and for `cloudoptim events classify`, so a user can see beforehand what a
notice would start. Actions: `drain_now` (Spot interruption warning), `replace_then_drain` (rebalance
recommendation, an open or upcoming AWS Health EC2 scheduled change), `record` (the instance is stopping or
gone), `ignore` (anything else, with the reason: other Health categories or services, closed or resolved events,
test events, events too old to act on, events from the future).

>>> c = classify(Notice("EC2 Spot Instance Interruption Warning", "i-1", 1_000, "terminate"), now=1_030)
>>> (c.kind, c.action, c.deadline)
('interruption', 'drain_now', 1120)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["interruption", "rebalance", "scheduled-change", "state-change"]
Action = Literal["drain_now", "replace_then_drain", "record", "ignore"]

SPOT_INTERRUPTION = "EC2 Spot Instance Interruption Warning"
REBALANCE = "EC2 Instance Rebalance Recommendation"
STATE_CHANGE = "EC2 Instance State-change Notification"
HEALTH = "AWS Health Event"
DETAIL_TYPES = (SPOT_INTERRUPTION, REBALANCE, STATE_CHANGE, HEALTH)
# AWS sends each from its own source; PutEvents refuses aws.* sources to anyone else, so another source is a test.
SOURCES = {SPOT_INTERRUPTION: "aws.ec2", REBALANCE: "aws.ec2", STATE_CHANGE: "aws.ec2", HEALTH: "aws.health"}

# The states Karpenter and NTH act on; "pending"/"running" are ordinary life-cycle noise.
ENDING_STATES = frozenset({"stopping", "stopped", "shutting-down", "terminated"})
OPEN_HEALTH_STATUSES = frozenset({"open", "upcoming"})
RESOLVED_ENTITY_STATUSES = frozenset({"RESOLVED", "UNIMPAIRED"})
_ACCOUNT = re.compile(r"^\d{12}$")


class ClassifyPolicy(BaseModel):
    """How long each kind of notice leaves us to drain, and how old a notice may be to be acted on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interruption_notice_seconds: int = Field(120, gt=0, description="EC2 reclaims a Spot node 2 minutes after")
    # Rebalance recommendations "are generally sent 10-20 minutes before an interruption" (Karpenter design
    # doc); 10 minutes keeps a drain that outlives the risk window from running forever.
    voluntary_drain_seconds: int = Field(600, gt=0, description="drain budget of rebalance and scheduled changes")
    flag_kinds: frozenset[str] = frozenset({"interruption"})
    # A Spot warning older than its two minutes plus a margin is about a machine already reclaimed (or a replay):
    # draining now helps nothing and may cordon a healthy replacement with the same name.
    interruption_max_age_seconds: int = Field(600, gt=0)
    rebalance_max_age_seconds: int = Field(3600, gt=0, description="the risk it reports has moved on by then")
    state_change_max_age_seconds: int = Field(86400, gt=0, description="recording a day-old loss still helps audit")
    # Health scheduled changes are announced days ahead: their own status and end time say when they are over.
    future_tolerance_seconds: int = Field(300, ge=0, description="clock skew allowed for an event time ahead of now")


@dataclass(frozen=True, slots=True)
class Notice:
    """The facts of one notice the engine needs (adapters build it from the EventBridge event)."""

    detail_type: str
    instance_id: str
    event_time: int
    action_or_state: str | None = None  # instance-action of a warning, state of a state change, Health type code
    start_time: int | None = None  # a scheduled change's start, when the Health event gives one
    source: str | None = None  # the envelope's `source` (None: not known, e.g. a hand-built notice)
    account: str | None = None  # the envelope's `account` (SQS deliveries may lack it)
    service: str | None = None  # Health: the service ("EC2")
    category: str | None = None  # Health: eventTypeCategory ("scheduledChange", "issue", ...)
    status: str | None = None  # Health: statusCode ("open", "upcoming", "closed")
    entity_status: str | None = None  # Health: this instance's status in affectedEntities ("RESOLVED", ...)
    end_time: int | None = None  # Health: when the change ends


@dataclass(frozen=True, slots=True)
class Classification:
    """What to do about a notice. `kind` says what it is (None when not one of the four); `action` what to do."""

    kind: Kind | None
    action: Action
    deadline: int | None
    flag_pool: bool
    reasons: tuple[str, ...]

    @property
    def starts_workflow(self) -> bool:
        return self.action != "ignore"


def classify(notice: Notice, policy: ClassifyPolicy | None = None, now: int | None = None) -> Classification:
    """Kind, action and deadline of a notice at `now` (None: no age checks, as for a replay in tests)."""
    policy = policy or ClassifyPolicy()
    kind = _kind(notice)
    if kind is None:
        return _ignored(None, f"unknown detail type {notice.detail_type!r}")
    if kind == "state-change" and (notice.action_or_state or "unknown") not in ENDING_STATES:
        return _ignored(None, f"state {notice.action_or_state or 'unknown'!r} needs no action")
    why_not = _test_event(notice) or _stale(notice, kind, policy, now)
    if kind == "scheduled-change":
        why_not = why_not or _not_actionable_health(notice, now)
    if why_not:
        return _ignored(kind, why_not)
    return _decide(notice, kind, policy)


def _kind(notice: Notice) -> Kind | None:
    kinds: dict[str, Kind] = {
        SPOT_INTERRUPTION: "interruption",
        REBALANCE: "rebalance",
        HEALTH: "scheduled-change",
        STATE_CHANGE: "state-change",
    }
    return kinds.get(notice.detail_type)


def _test_event(notice: Notice) -> str | None:
    expected = SOURCES[notice.detail_type]
    if notice.source is not None and notice.source != expected:
        return f"test event: source {notice.source!r}, while AWS sends {notice.detail_type!r} from {expected}"
    if notice.account is not None and not _ACCOUNT.match(notice.account):
        return f"test event: account {notice.account!r} is not an AWS account id (a documentation sample?)"
    return None


def refusal(notice: Notice, now: int, policy: ClassifyPolicy | None = None) -> str | None:
    """Why a notice must start nothing whatever it says: dated in the future, or too old to act on (a replay).
    The ingest Lambda rejects these before reading further; `classify` at `now` ignores them with the same reason.

    >>> warning = Notice(SPOT_INTERRUPTION, "i-1", 1_000)
    >>> refusal(warning, now=1_500) is None, refusal(warning, now=1_601)
    (True, 'stale: the event is 601 s old and interruption notices older than 600 s are not acted on (a replay?)')
    """
    kind = _kind(notice)
    return _stale(notice, kind, policy or ClassifyPolicy(), now) if kind else None


def _stale(notice: Notice, kind: Kind, policy: ClassifyPolicy, now: int | None) -> str | None:
    if now is None:
        return None
    age = now - notice.event_time
    if -age > policy.future_tolerance_seconds:
        return (
            f"event time is {-age} s in the future (more than the {policy.future_tolerance_seconds} s of skew allowed)"
        )
    limit = {
        "interruption": policy.interruption_max_age_seconds,
        "rebalance": policy.rebalance_max_age_seconds,
        "state-change": policy.state_change_max_age_seconds,
    }.get(kind)
    if limit is not None and age > limit:
        return f"stale: the event is {age} s old and {kind} notices older than {limit} s are not acted on (a replay?)"
    return None


def _not_actionable_health(notice: Notice, now: int | None) -> str | None:
    if (notice.service or "EC2") != "EC2":
        return f"AWS Health event for {notice.service}, not EC2"
    if (notice.category or "scheduledChange") != "scheduledChange":
        return f"AWS Health category {notice.category!r} is not a scheduled change: nothing to replace ahead of"
    if notice.status is not None and notice.status.lower() not in OPEN_HEALTH_STATUSES:
        return f"AWS Health event is {notice.status}: the change is over"
    if notice.entity_status is not None and notice.entity_status.upper() in RESOLVED_ENTITY_STATUSES:
        return f"the instance's status in the event is {notice.entity_status}"
    if now is not None and notice.end_time is not None and notice.end_time < now:
        return f"the scheduled change ended {now - notice.end_time} s ago"
    return None


def _decide(notice: Notice, kind: Kind, policy: ClassifyPolicy) -> Classification:
    t = notice.event_time
    if kind == "interruption":
        reason = (
            f"Spot interruption warning: EC2 reclaims the node {policy.interruption_notice_seconds} s after the "
            "event, so cordon and drain now and launch the replacement in parallel"
        )
        return _decided(kind, "drain_now", t + policy.interruption_notice_seconds, policy, reason)
    if kind == "rebalance":
        reason = "rebalance recommendation: the pool's risk rose; launch a replacement first, drain once it is Ready"
        return _decided(kind, "replace_then_drain", t + policy.voluntary_drain_seconds, policy, reason)
    if kind == "scheduled-change":
        deadline = notice.start_time if notice.start_time and notice.start_time > t else t
        deadline = max(deadline, t + policy.voluntary_drain_seconds)
        reason = "AWS Health scheduled change for the instance: replace first, then drain, as for a rebalance"
        return _decided(kind, "replace_then_drain", deadline, policy, reason)
    state = notice.action_or_state
    reason = f"instance is {state}: too late to drain, record the loss so the outcome is audited"
    return _decided(kind, "record", None, policy, reason)


def _ignored(kind: Kind | None, reason: str) -> Classification:
    return Classification(kind, "ignore", None, False, (reason,))


def _decided(kind: Kind, action: Action, deadline: int | None, policy: ClassifyPolicy, reason: str) -> Classification:
    flag = kind in policy.flag_kinds
    why_flag = "pool flagged in the hive mind" if flag else "pool not flagged: only interruptions flag pools"
    return Classification(kind, action, deadline, flag, (reason, why_flag))
