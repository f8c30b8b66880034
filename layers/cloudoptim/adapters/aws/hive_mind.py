"""Hive-mind flags in DynamoDB: one item per (pool, tenant); readers drop items with `expires_at <= now`
because DynamoDB deletes TTL items lazily."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import PynamoDBException

from cloudoptim.adapters.aws._dynamo import dynamo_error
from cloudoptim.adapters.aws.tables import HiveMindItem
from engines.interruption.hive import Escalation, Flag, HivePool, active_flags, escalation


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

    def _flags(self, items: Iterable[HiveMindItem], now: int) -> list[Flag]:
        flags = (Flag(HivePool.parse(i.pool), i.tenant_id, int(i.flagged_at), int(i.expires_at)) for i in items)
        return list(active_flags(flags, now))

    def flags_for_pool(self, pool: HivePool, now: int) -> list[Flag]:
        model = self._model
        try:
            return self._flags(model.query(pool.key, filter_condition=model.expires_at > now), now)
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind query {pool.key}") from exc

    def active_flags(self, region: str, now: int) -> list[Flag]:
        """Every unexpired flag of a region: one Query of the `ByRegion` index (region, expires_at > now)."""
        model = self._model
        try:
            return self._flags(model.by_region.query(region, model.expires_at > now), now)
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"HiveMind query {region}") from exc

    def escalation(self, pool: HivePool, now: int) -> Escalation:
        """S6 escalation of a pool from the flags the table still holds."""
        return escalation(self.flags_for_pool(pool, now), pool, now)
