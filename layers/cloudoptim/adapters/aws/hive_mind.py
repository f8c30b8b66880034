"""Hive-mind flags and interruption records in DynamoDB; readers drop items with `expires_at <= now` because
DynamoDB deletes TTL items lazily.

Flags: one item per (pool, tenant), sort key the tenant. Records: one item per interruption, sort key
`RECORD#<tenant>#<event id>` (tenant ids hold no `#`), in the same partition so one Query reads a pool's escalation.
Hours: one counter per pool and day, sort key `HOURS#<day epoch>`, the instance-hours discovery observed there (S7
feedback's evidence), with the runs already counted; in `ByRegion` too, so a choice's one Query reads them.
Customers: one item per (pool, tenant), sort key `CUSTOMER#<tenant>`, the tenant's latest interruption there, kept
for the escalation window: what ingest and the choices read, so their reads grow with the customers in a pool, not
with its interruptions (a mass interruption writes thousands of records into one pool; docs/capacity.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition

from cloudoptim.adapters.aws._dynamo import dynamo_error, is_condition_failure
from cloudoptim.adapters.aws.tables import HiveMindItem
from cloudoptim.interruptions.ports import RegionHive
from engines.interruption.hive import (
    ESCALATION_WINDOW_SECONDS,
    RECORD_TTL_SECONDS,
    Escalation,
    Flag,
    HivePool,
    active_flags,
    escalation,
)

RECORD_PREFIX = "RECORD#"
CUSTOMER_PREFIX = "CUSTOMER#"
HOURS_PREFIX = "HOURS#"
DAY = 86400
# Flags live 30 minutes and customer items the 60-minute window; records a week. A region's recent read asks the
# ByRegion index for items expiring within a day: flags and customers, never the week of records (bounded reads).
RECENT_HORIZON_SECONDS = 86400
# S7 evidence (a week of records and instance-hours) moves slowly: a warm container reads it once per 5 minutes.
EVIDENCE_TTL_SECONDS = 300
# A choice's verdicts (live flags, each customer's latest interruption): at most a second old (decisions, hive).
VERDICTS_TTL_SECONDS = 2
# What a verdict or an escalation reads of an item: the reads on every notice and choice parse no more than this.
_VERDICT = ["pool", "tenant_id", "flagged_at", "expires_at"]


def _kind(sort_key: str) -> str:
    for prefix, kind in ((RECORD_PREFIX, "record"), (CUSTOMER_PREFIX, "customer"), (HOURS_PREFIX, "hours")):
        if sort_key.startswith(prefix):
            return kind
    return "flag"


class DynamoHiveMind:
    def __init__(self, model: type[HiveMindItem]) -> None:
        self._model = model

    def flag(self, flag: Flag, event_id: str, kind: str) -> None:
        """The same tenant flagging the pool again refreshes its flag; an older notice arriving late leaves it."""
        try:
            self._flag_item(flag, event_id, kind).save(condition=self._newer(flag))
        except PynamoDBException as exc:
            if not is_condition_failure(exc):
                raise dynamo_error(exc, f"HiveMind put {flag.pool.key}") from exc

    def record(self, record: Flag, event_id: str) -> None:
        try:
            self._record_item(record, event_id).save()  # a redelivered notice rewrites its own record: still one
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind put record {record.pool.key}") from exc
        self._customer(record, event_id)

    def _flag_item(self, flag: Flag, event_id: str, kind: str) -> HiveMindItem:
        return self._model(flag.pool.key, flag.tenant_id, region=flag.pool.region, expires_at=flag.expires_at,
                           flagged_at=flag.flagged_at, event_id=event_id, kind=kind)  # fmt: skip

    def _record_item(self, record: Flag, event_id: str) -> HiveMindItem:
        return self._model(record.pool.key, f"{RECORD_PREFIX}{record.tenant_id}#{event_id}", region=record.pool.region,
                           expires_at=record.expires_at, flagged_at=record.flagged_at, event_id=event_id,
                           kind="interruption")  # fmt: skip

    def _customer_item(self, record: Flag, event_id: str) -> HiveMindItem:
        return self._model(record.pool.key, f"{CUSTOMER_PREFIX}{record.tenant_id}", region=record.pool.region,
                           expires_at=record.flagged_at + ESCALATION_WINDOW_SECONDS, flagged_at=record.flagged_at,
                           event_id=event_id, kind="customer")  # fmt: skip

    def _newer(self, record: Flag) -> Condition:
        """An older notice arriving late leaves a newer flag or customer item alone."""
        newer: Condition = self._model.pool.does_not_exist() | (self._model.flagged_at <= record.flagged_at)
        return newer

    def _customer(self, record: Flag, event_id: str) -> None:
        """The tenant's latest interruption in the pool."""
        try:
            self._customer_item(record, event_id).save(condition=self._newer(record))
        except PynamoDBException as exc:
            if not is_condition_failure(exc):  # a newer interruption of this customer is already there
                raise dynamo_error(exc, f"HiveMind put customer {record.pool.key}") from exc

    def _split(self, items: Iterable[HiveMindItem], now: int, records: bool | str) -> list[Flag]:
        wanted = records if isinstance(records, str) else "record" if records else "flag"
        found = []
        for i in items:
            kind = _kind(i.tenant_id)
            if kind != wanted:
                continue
            tenant = i.tenant_id.split("#")[1] if kind != "flag" else i.tenant_id
            found.append(Flag(HivePool.parse(i.pool), tenant, int(i.flagged_at), int(i.expires_at)))
        return list(active_flags(found, now))

    def _flags(self, items: Iterable[HiveMindItem], now: int) -> list[Flag]:
        return self._split(items, now, records=False)

    def customers_for_pool(self, pool: HivePool, now: int) -> list[Flag]:
        """Each customer's latest interruption in `pool` within the escalation window: one item per customer."""
        model = self._model
        condition = model.tenant_id.startswith(CUSTOMER_PREFIX)
        try:
            items = model.query(
                pool.key, condition, filter_condition=model.expires_at > now, attributes_to_get=_VERDICT
            )
            return self._split(items, now, "customer")
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind query customers {pool.key}") from exc

    def recent_in_region(self, region: str, now: int) -> RegionHive:
        """A region's live flags and, as `records`, each customer's latest interruption per pool in the window: one
        Query of the ByRegion index bounded to items expiring within RECENT_HORIZON_SECONDS (never the records)."""
        model = self._model
        horizon = model.expires_at.between(now + 1, now + RECENT_HORIZON_SECONDS)
        try:
            items = list(model.by_region.query(region, horizon, attributes_to_get=_VERDICT))
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind query recent {region}") from exc
        return RegionHive(tuple(self._split(items, now, False)), tuple(self._split(items, now, "customer")))

    def records_for_pool(self, pool: HivePool, now: int) -> list[Flag]:
        model = self._model
        condition = model.tenant_id.startswith(RECORD_PREFIX)
        try:
            items = model.query(pool.key, condition, filter_condition=model.expires_at > now)
            return self._split(items, now, records=True)
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind query records {pool.key}") from exc

    def flags_for_pool(self, pool: HivePool, now: int) -> list[Flag]:
        model = self._model
        try:
            # one partition holds the pool's flags and records: the records are dropped here
            return self._flags(model.query(pool.key, filter_condition=model.expires_at > now), now)
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind query {pool.key}") from exc

    def active_flags(self, region: str, now: int) -> list[Flag]:
        return list(self.in_region(region, now).flags)

    def in_region(self, region: str, now: int) -> RegionHive:
        """Every unexpired flag and record of a region: one Query of the `ByRegion` index (expires_at > now)."""
        model = self._model
        try:
            items = list(model.by_region.query(region, model.expires_at > now))
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind query {region}") from exc
        hours: dict[str, float] = {}
        for i in items:
            # the days the records cover (RECORD_TTL_SECONDS): the rate compares like with like
            if i.tenant_id.startswith(HOURS_PREFIX) and i.hours and int(i.flagged_at) > now - RECORD_TTL_SECONDS:
                hours[i.pool] = hours.get(i.pool, 0.0) + float(i.hours)
        return RegionHive(tuple(self._split(items, now, False)), tuple(self._split(items, now, True)), hours)

    def evidence_in_region(self, region: str, now: int) -> RegionHive:
        """S7's evidence: the region's records of the week and the instance-hours observed over them."""
        return self.in_region(region, now)

    def add_hours(self, pool: HivePool, hours: float, run: str, now: int) -> bool:
        """Add `hours` to the pool's counter of the day, once per `run` (a retried discovery adds nothing); the
        counter lives as long as the records it is weighed against. False when the run was already counted."""
        model = self._model
        day = now - now % DAY
        item = model(pool.key, f"{HOURS_PREFIX}{day}")
        try:
            item.update(
                actions=[model.hours.add(hours), model.runs.add({run}), model.region.set(pool.region),
                         model.flagged_at.set(day), model.expires_at.set(day + DAY + RECORD_TTL_SECONDS)],
                condition=model.runs.does_not_exist() | ~model.runs.contains(run),
            )  # fmt: skip
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                return False
            raise dynamo_error(exc, f"HiveMind add hours {pool.key}") from exc
        return True

    def window(self, region: str, now: int) -> RegionHive:
        """A region's live flags and its records of the escalation window, in two bounded Queries of `ByRegion`:
        records expire RECORD_TTL_SECONDS after they happened, so the window's are those expiring after
        now + TTL - window; flags expire within the window's length (FLAG_TTL_SECONDS, 30 minutes, by default)."""
        model = self._model
        since = now + RECORD_TTL_SECONDS - ESCALATION_WINDOW_SECONDS
        try:
            recent = list(model.by_region.query(region, model.expires_at > since))
            live = list(
                model.by_region.query(region, model.expires_at.between(now + 1, now + ESCALATION_WINDOW_SECONDS))
            )
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind query window {region}") from exc
        return RegionHive(tuple(self._split(live, now, False)), tuple(self._split(recent, now, True)))

    def escalation(self, pool: HivePool, now: int) -> Escalation:
        """S6 escalation of a pool from its interruption records of the last 60 minutes."""
        return escalation(self.records_for_pool(pool, now), pool, now)


class ChoiceHiveMind(DynamoHiveMind):
    """The replacement choice's hive mind: its S7 evidence read once per EVIDENCE_TTL_SECONDS per region and warm
    container (a week of a region's records is the one read a mass interruption makes large), and its verdicts
    (flags and customers) once per VERDICTS_TTL_SECONDS: parsing every live flag of the region was most of a
    choice's CPU, and a verdict a second old decides as a fresh one would (the interrupted pool is excluded from the
    notice itself). Escalations are read fresh every time (ingest, never through this class)."""

    def __init__(
        self,
        model: type[HiveMindItem],
        ttl_seconds: int = EVIDENCE_TTL_SECONDS,
        verdicts_ttl_seconds: int = VERDICTS_TTL_SECONDS,
    ) -> None:
        super().__init__(model)
        self._ttl = ttl_seconds
        self._verdicts_ttl = verdicts_ttl_seconds
        self._evidence: dict[str, tuple[int, RegionHive]] = {}
        self._verdicts: dict[str, tuple[int, RegionHive]] = {}

    def evidence_in_region(self, region: str, now: int) -> RegionHive:
        return self._kept(self._evidence, self._ttl, region, now, super().evidence_in_region)

    def recent_in_region(self, region: str, now: int) -> RegionHive:
        return self._kept(self._verdicts, self._verdicts_ttl, region, now, super().recent_in_region)

    @staticmethod
    def _kept(
        kept: dict[str, tuple[int, RegionHive]], ttl: int, region: str, now: int, read: Callable[[str, int], RegionHive]
    ) -> RegionHive:
        cached = kept.get(region)
        if cached is not None and 0 <= now - cached[0] < ttl:
            return cached[1]
        found = read(region, now)
        kept[region] = (now, found)
        return found
