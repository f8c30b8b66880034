"""In-memory fakes of the hive mind's ports (cloudoptim.interruptions.ports): flags, records, customers, hours and
the escalation hand-over; `fail(operation, error, times)` as every fake.

>>> hive = FakeHiveMind()
>>> hive.fail("flag", RuntimeError("boom"))
>>> try:
...     hive.flag(new_flag(HivePool("eu-west-1", "euw1-az1", "m5.large"), "t1", 0), "e1", "interruption")
... except RuntimeError:
...     print("injected")
injected
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cloudoptim.interruptions.ports import RegionHive
from engines.interruption.hive import ESCALATION_WINDOW_SECONDS, Escalation, Flag, HivePool, active_flags, new_flag
from tests.fakes.faulty import _Faulty

__all__ = ["FakeEscalations", "FakeHiveMind", "new_flag"]


@dataclass
class FakeHiveMind(_Faulty):
    """Keeps expired items like DynamoDB does (TTL deletes lazily); readers filter them."""

    items: dict[tuple[str, str], Flag] = field(default_factory=dict)
    writes: list[tuple[Flag, str, str]] = field(default_factory=list)
    recorded: dict[tuple[str, str], Flag] = field(default_factory=dict)  # (pool, event id) -> record
    hours: dict[str, float] = field(default_factory=dict)  # pool key -> instance-hours observed
    runs: set[str] = field(default_factory=set)

    def add_hours(self, pool: HivePool, hours: float, run: str, now: int) -> bool:
        self._check("add_hours")
        if run in self.runs:
            return False
        self.runs.add(run)
        self.hours[pool.key] = self.hours.get(pool.key, 0.0) + hours
        return True

    def flag(self, flag: Flag, event_id: str, kind: str) -> None:
        self._check("flag")
        held = self.items.get((flag.pool.key, flag.tenant_id))
        if held is None or held.flagged_at <= flag.flagged_at:  # a late, older notice leaves the newer flag
            self.items[(flag.pool.key, flag.tenant_id)] = flag
        self.writes.append((flag, event_id, kind))

    def record(self, record: Flag, event_id: str) -> None:
        self._check("record")
        self.recorded[(record.pool.key, event_id)] = record

    def records_for_pool(self, pool: HivePool, now: int) -> Sequence[Flag]:
        self._check("records_for_pool")
        return active_flags((r for r in self.recorded.values() if r.pool == pool), now)

    def flags_for_pool(self, pool: HivePool, now: int) -> Sequence[Flag]:
        self._check("flags_for_pool")
        return active_flags((f for f in self.items.values() if f.pool == pool), now)

    def active_flags(self, region: str, now: int) -> Sequence[Flag]:
        self._check("active_flags")
        return active_flags((f for f in self.items.values() if f.pool.region == region), now)

    def in_region(self, region: str, now: int) -> RegionHive:
        self._check("in_region")
        records = active_flags((r for r in self.recorded.values() if r.pool.region == region), now)
        hours = {k: h for k, h in self.hours.items() if HivePool.parse(k).region == region}
        return RegionHive(tuple(self.active_flags(region, now)), records, hours)

    def evidence_in_region(self, region: str, now: int) -> RegionHive:
        self._check("evidence_in_region")
        return self.in_region(region, now)

    def window(self, region: str, now: int) -> RegionHive:
        self._check("window")
        found = self.in_region(region, now)
        since = now - ESCALATION_WINDOW_SECONDS
        return RegionHive(found.flags, tuple(r for r in found.records if r.flagged_at > since))

    def _customers(self, records: Iterable[Flag], now: int) -> tuple[Flag, ...]:
        """Latest record per (pool, customer), kept the escalation window (the adapter's CUSTOMER# items)."""
        latest: dict[tuple[HivePool, str], Flag] = {}
        for r in records:
            key = (r.pool, r.tenant_id)
            if key not in latest or latest[key].flagged_at <= r.flagged_at:
                latest[key] = r
        window = (Flag(f.pool, f.tenant_id, f.flagged_at, f.flagged_at + ESCALATION_WINDOW_SECONDS)
                  for f in latest.values())  # fmt: skip
        return active_flags(window, now)

    def customers_for_pool(self, pool: HivePool, now: int) -> Sequence[Flag]:
        self._check("customers_for_pool")
        return self._customers((r for r in self.recorded.values() if r.pool == pool), now)

    def recent_in_region(self, region: str, now: int) -> RegionHive:
        self._check("recent_in_region")
        customers = self._customers((r for r in self.recorded.values() if r.pool.region == region), now)
        return RegionHive(tuple(self.active_flags(region, now)), customers)


@dataclass
class FakeEscalations(_Faulty):
    pools: list[HivePool] = field(default_factory=list)
    levels: list[Escalation] = field(default_factory=list)

    def confirmed(self, escalation: Escalation) -> None:
        self._check("confirmed")
        self.pools.append(escalation.pool)
        self.levels.append(escalation)
