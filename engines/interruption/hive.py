"""Hive mind (S6): cross-customer flags on Spot pools and the escalation they add up to.

A pool is `<region>#<az_id>#<instance_type>`: AZ IDs name the same physical zone in every account. Two kinds of
evidence share one shape (`Flag`): the flag (30 minutes: excludes the pool from its own customer's choices) and the
interruption record (kept for the feedback window; the escalation counts the records of the last 60 minutes, so its
window no longer ends with the flags' TTL).

>>> flags = [Flag(HivePool("eu-west-1", "euw1-az1", "m5.large"), t, 1000, 2800) for t in ("a", "b")]
>>> escalation(flags, flags[0].pool, now=1100).level
'UNCERTAIN'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

FLAG_TTL_SECONDS = 1800
ESCALATION_WINDOW_SECONDS = 3600
# Interruption records outlive the escalation window: the feedback (engines.interruption.feedback) counts them
# against the instance-hours observed over the same span.
RECORD_TTL_SECONDS = 7 * 86400
# One other customer's flag is a signal, not a verdict: it adds this much risk to the pool (decision 66).
SINGLE_CUSTOMER_BUMP = 0.05

Level = Literal["NORMAL", "UNCERTAIN", "CONFIRMED_RISKY"]
RISK_BUMP: dict[Level, float] = {"NORMAL": 0.0, "UNCERTAIN": 0.10, "CONFIRMED_RISKY": 0.20}


@dataclass(frozen=True, slots=True, order=True)
class HivePool:
    region: str
    az_id: str
    instance_type: str

    @property
    def key(self) -> str:
        return f"{self.region}#{self.az_id}#{self.instance_type}"

    @staticmethod
    def parse(key: str) -> HivePool:
        region, az_id, instance_type = key.split("#", 2)
        return HivePool(region, az_id, instance_type)


@dataclass(frozen=True, slots=True)
class Flag:
    """One customer's report that a pool interrupted one of its nodes."""

    pool: HivePool
    tenant_id: str
    flagged_at: int
    expires_at: int

    def active(self, now: int) -> bool:
        # DynamoDB deletes TTL items lazily (up to days later): expiry is decided here, not by the table.
        return self.expires_at > now


def new_flag(pool: HivePool, tenant_id: str, event_time: int, ttl_seconds: int = FLAG_TTL_SECONDS) -> Flag:
    return Flag(pool, tenant_id, event_time, event_time + ttl_seconds)


def new_record(pool: HivePool, tenant_id: str, event_time: int, ttl_seconds: int = RECORD_TTL_SECONDS) -> Flag:
    """One interruption of one customer's node in `pool`, kept `ttl_seconds` as evidence."""
    return Flag(pool, tenant_id, event_time, event_time + ttl_seconds)


def active_flags(flags: Iterable[Flag], now: int) -> tuple[Flag, ...]:
    return tuple(f for f in flags if f.active(now))


@dataclass(frozen=True, slots=True)
class Escalation:
    pool: HivePool
    level: Level
    customers: int
    risk_bump: float
    reasons: tuple[str, ...]
    interruptions: int = 0  # records in the window (a customer interrupted twice counts once in `customers`)
    expires_at: int | None = None  # when the first counted customer leaves the window and the level may drop


def escalation(
    flags: Iterable[Flag], pool: HivePool, now: int, window_seconds: int = ESCALATION_WINDOW_SECONDS
) -> Escalation:
    """Distinct customers flagging `pool` within the window: 1 NORMAL, 2 UNCERTAIN, 3+ CONFIRMED_RISKY.

    Counts interruption records (or flags) by `flagged_at`, each customer once; what the caller dropped as
    expired is not counted, so records must outlive the window (RECORD_TTL_SECONDS does, flags do not).
    """
    since = now - window_seconds
    latest: dict[str, int] = {}
    counted = 0
    for f in flags:
        if f.pool == pool and since < f.flagged_at <= now:
            counted += 1
            latest[f.tenant_id] = max(latest.get(f.tenant_id, f.flagged_at), f.flagged_at)
    n = len(latest)
    level: Level = "NORMAL" if n <= 1 else "UNCERTAIN" if n == 2 else "CONFIRMED_RISKY"
    bump = RISK_BUMP[level]
    reason = f"{n} customer(s) flagged {pool.key} in the last {window_seconds // 60} min: {level}"
    if bump:
        reason += f" (+{bump:.2f} risk)"
    if level == "CONFIRMED_RISKY":
        reason += "; other customers running in the pool should rebalance proactively"
    expires = min(latest.values()) + window_seconds if latest else None
    return Escalation(pool, level, n, bump, (reason,), counted, expires)


@dataclass(frozen=True, slots=True)
class PoolVerdict:
    """How one customer's replacement choice treats a flagged pool: excluded, or a risk bump with its reason."""

    pool: HivePool
    exclude: bool
    risk_bump: float
    reason: str


def verdicts_for(
    tenant_id: str,
    flags: Iterable[Flag],
    now: int,
    window_seconds: int = ESCALATION_WINDOW_SECONDS,
    records: Iterable[Flag] | None = None,
) -> dict[HivePool, PoolVerdict]:
    """The hive mind's say in `tenant_id`'s choice, per flagged pool.

    The customer's own live flag excludes the pool (its node was just interrupted there). Other customers'
    customers are counted once each and the escalation rule decides: one adds a little risk, two add
    UNCERTAIN's, three or more confirm the pool risky and exclude it (their nodes are being moved out of it).
    The other customers are counted from `records` (the 60-minute window) when given, else from the live flags.

    >>> pool = HivePool("eu-west-1", "euw1-az1", "m5.large")
    >>> v = verdicts_for("me", [Flag(pool, "other", 1000, 2800), Flag(pool, "other", 1000, 2800)], now=1100)
    >>> (v[pool].exclude, v[pool].risk_bump)
    (False, 0.05)
    >>> verdicts_for("me", [Flag(pool, "me", 1000, 2800)], now=1100)[pool].exclude
    True
    """
    live = active_flags(flags, now)
    evidence = live if records is None else active_flags(records, now)
    others = [f for f in evidence if f.tenant_id != tenant_id]
    verdicts: dict[HivePool, PoolVerdict] = {}
    for pool in sorted({f.pool for f in live} | {f.pool for f in others}):
        mine = [f for f in live if f.pool == pool and f.tenant_id == tenant_id]
        if mine:
            verdicts[pool] = PoolVerdict(pool, True, 0.0, "flagged by this customer: one of its nodes was just "
                                         "interrupted in this pool")  # fmt: skip
            continue
        level = escalation(others, pool, now, window_seconds)
        if level.level == "CONFIRMED_RISKY":
            verdicts[pool] = PoolVerdict(pool, True, level.risk_bump, level.reasons[0])
        elif level.customers:
            bump = level.risk_bump or SINGLE_CUSTOMER_BUMP
            verdicts[pool] = PoolVerdict(pool, False, bump, f"{level.reasons[0]}: +{bump:.2f} risk, not excluded")
    return verdicts
