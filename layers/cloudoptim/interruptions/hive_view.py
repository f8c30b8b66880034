"""What the hive mind knows of a region, as one customer may see it (`GET /v1/hive-mind`): each pool with live flags
or interruption records in the 60-minute window, its level, when the level may drop, the evidence as counts (never
who), and what it does to this customer's replacement choices.

The store reads two bounded ranges of the `ByRegion` index (cloudoptim.adapters.aws.hive_mind.DynamoHiveMind.window):
records whose TTL puts them inside the window, and flags still live. No Scan, and a week of records is not read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from cloudoptim.interruptions.ports import RegionHive
from engines.interruption.hive import (
    ESCALATION_WINDOW_SECONDS,
    Flag,
    HivePool,
    Level,
    PoolVerdict,
    escalation,
    verdicts_for,
)


class HiveWindow(Protocol):
    def window(self, region: str, now: int) -> RegionHive:
        """The region's live flags and its interruption records of the last 60 minutes."""
        ...


@dataclass(frozen=True, slots=True)
class PoolView:
    pool: HivePool
    level: Level
    customers: int  # distinct customers interrupted in the window (a count, never who)
    interruptions: int
    flags: int  # customers whose 30-minute flag is live
    expires_at: int | None
    risk_bump: float  # what the level adds to every customer's risk for the pool
    excluded_for_you: bool  # the caller's own choices skip the pool (its own flag, or CONFIRMED_RISKY)
    your_risk_bump: float  # what the caller's choices add (a single other customer already adds a little)
    yours: bool  # the caller itself was interrupted here in the window
    reason: str


def pools_in(hive: HiveWindow, regions: Iterable[str], tenant_id: str, now: int) -> list[PoolView]:
    """Every pool of `regions` with flags or window records, in pool order."""
    views: list[PoolView] = []
    for region in sorted(set(regions)):
        seen = hive.window(region, now)
        records = [r for r in seen.records if now - ESCALATION_WINDOW_SECONDS < r.flagged_at <= now]
        verdicts = verdicts_for(tenant_id, seen.flags, now, records=records)
        for pool in sorted({r.pool for r in records} | {f.pool for f in seen.flags if f.active(now)}):
            views.append(_view(pool, records, seen.flags, verdicts, tenant_id, now))
    return views


def _view(
    pool: HivePool,
    records: Sequence[Flag],
    flags: Sequence[Flag],
    verdicts: Mapping[HivePool, PoolVerdict],
    tenant_id: str,
    now: int,
) -> PoolView:
    level = escalation(records, pool, now)
    live = {f.tenant_id for f in flags if f.pool == pool and f.active(now)}
    mine = verdicts.get(pool)
    return PoolView(
        pool=pool, level=level.level, customers=level.customers, interruptions=level.interruptions,
        flags=len(live), expires_at=level.expires_at, risk_bump=level.risk_bump,
        excluded_for_you=bool(mine and mine.exclude), your_risk_bump=mine.risk_bump if mine else 0.0,
        yours=any(r.pool == pool and r.tenant_id == tenant_id for r in records), reason=level.reasons[0],
    )  # fmt: skip
