"""Hive-mind flags and interruption records in DynamoDB; readers drop items with `expires_at <= now` because
DynamoDB deletes TTL items lazily.

Flags: one item per (pool, tenant), sort key the tenant. Records: one item per interruption, sort key
`RECORD#<tenant>#<event id>` (tenant ids hold no `#`), in the same partition so one Query reads a pool's escalation.
Customers: one item per (pool, tenant), sort key `CUSTOMER#<tenant>`, the tenant's latest interruption there, kept
for the escalation window: what ingest and the choices read, so their reads grow with the customers in a pool, not
with its interruptions (a mass interruption writes thousands of records into one pool; docs/capacity.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import PynamoDBException

from cloudoptim.adapters.aws._dynamo import dynamo_error, is_condition_failure
from cloudoptim.adapters.aws.tables import HiveMindItem
from cloudoptim.interruptions.ports import RegionHive
from engines.interruption.hive import ESCALATION_WINDOW_SECONDS, Escalation, Flag, HivePool, active_flags, escalation

RECORD_PREFIX = "RECORD#"
CUSTOMER_PREFIX = "CUSTOMER#"
# Flags live 30 minutes and customer items the 60-minute window; records a week. A region's recent read asks the
# ByRegion index for items expiring within a day: flags and customers, never the week of records (bounded reads).
RECENT_HORIZON_SECONDS = 86400


def _kind(sort_key: str) -> str:
    return (
        "record"
        if sort_key.startswith(RECORD_PREFIX)
        else "customer"
        if sort_key.startswith(CUSTOMER_PREFIX)
        else "flag"
    )


class DynamoHiveMind:
    def __init__(self, model: type[HiveMindItem]) -> None:
        self._model = model

    def flag(self, flag: Flag, event_id: str, kind: str) -> None:
        item = self._model(
            flag.pool.key,
            flag.tenant_id,
            region=flag.pool.region,
            expires_at=flag.expires_at,
            flagged_at=flag.flagged_at,
            event_id=event_id,
            kind=kind,
        )
        try:
            item.save()  # the same tenant flagging the pool again refreshes its flag
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind put {flag.pool.key}") from exc

    def record(self, record: Flag, event_id: str) -> None:
        item = self._model(
            record.pool.key,
            f"{RECORD_PREFIX}{record.tenant_id}#{event_id}",
            region=record.pool.region,
            expires_at=record.expires_at,
            flagged_at=record.flagged_at,
            event_id=event_id,
            kind="interruption",
        )
        try:
            item.save()  # a redelivered notice rewrites its own record: still one
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind put record {record.pool.key}") from exc
        self._customer(record, event_id)

    def _customer(self, record: Flag, event_id: str) -> None:
        """The tenant's latest interruption in the pool; an older notice arriving late leaves a newer one alone."""
        model = self._model
        item = model(record.pool.key, f"{CUSTOMER_PREFIX}{record.tenant_id}", region=record.pool.region,
                     expires_at=record.flagged_at + ESCALATION_WINDOW_SECONDS, flagged_at=record.flagged_at,
                     event_id=event_id, kind="customer")  # fmt: skip
        try:
            item.save(condition=model.pool.does_not_exist() | (model.flagged_at <= record.flagged_at))
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
            items = model.query(pool.key, condition, filter_condition=model.expires_at > now)
            return self._split(items, now, "customer")
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind query customers {pool.key}") from exc

    def recent_in_region(self, region: str, now: int) -> RegionHive:
        """A region's live flags and, as `records`, each customer's latest interruption per pool in the window: one
        Query of the ByRegion index bounded to items expiring within RECENT_HORIZON_SECONDS (never the records)."""
        model = self._model
        horizon = model.expires_at.between(now + 1, now + RECENT_HORIZON_SECONDS)
        try:
            items = list(model.by_region.query(region, horizon))
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
        return RegionHive(tuple(self._split(items, now, False)), tuple(self._split(items, now, True)))

    def escalation(self, pool: HivePool, now: int) -> Escalation:
        """S6 escalation of a pool from its interruption records of the last 60 minutes."""
        return escalation(self.records_for_pool(pool, now), pool, now)
