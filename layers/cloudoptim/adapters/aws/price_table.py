"""`PriceTable` (cloudoptim.pricing.ports) on the Prices table: the newest price and recent changes of every Spot
pool (`SPOT#<region>` / `<az_id>#<type>`), the On-Demand list and Spot Advisor entries (`LIST#<kind>#<region>` /
`CURRENT`) and the jobs' state per region (`STATE` / `<region>`). Reads are Queries and Gets, never Scans."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.models import Model

from cloudoptim.adapters.aws._dynamo import dynamo_error
from cloudoptim.adapters.aws.tables import bind
from cloudoptim.pricing.ports import PoolPrices, PriceList, RegionState, SpotPoint

STATE = "STATE"


class PriceItem(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = UnicodeAttribute(null=True)  # JSON: a state, a list, or a pool's recent changes [[t, price], ...]
    price = NumberAttribute(null=True)
    at = NumberAttribute(null=True)


def price_model(table: str, host: str | None = None, region: str | None = None) -> type[PriceItem]:
    return bind(PriceItem, table, host, region)  # type: ignore[return-value]


def merged_history(
    old: Sequence[tuple[int, float]], new: Sequence[tuple[int, float]], keep_since: int
) -> list[tuple[int, float]]:
    """Changes since `keep_since`, plus the one in force at it (so a 7-day window starts with a price).

    >>> merged_history([(1, 0.1), (5, 0.2)], [(5, 0.2), (9, 0.3)], keep_since=6)
    [(5, 0.2), (9, 0.3)]
    """
    points = sorted(dict([*old, *new]).items())
    first = max((i for i, (t, _) in enumerate(points) if t <= keep_since), default=0)
    return [(int(t), float(p)) for t, p in points[first:]]


class DynamoPriceTable:
    def __init__(self, model: type[PriceItem]) -> None:
        self._model = model

    def _get(self, pk: str, sk: str) -> PriceItem | None:
        try:
            return self._model.get(pk, sk, consistent_read=True)
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Prices get {pk}/{sk}") from exc

    def state(self, region: str) -> RegionState:
        item = self._get(STATE, region)
        return RegionState.of(region, json.loads(item.doc or "{}")) if item else RegionState(region)

    def save_state(self, state: RegionState) -> None:
        try:
            self._model(STATE, state.region, doc=json.dumps(state.as_json())).save()
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Prices save state {state.region}") from exc

    def states(self) -> list[RegionState]:
        try:
            return [RegionState.of(i.sk, json.loads(i.doc or "{}")) for i in self._model.query(STATE)]
        except PynamoDBException as exc:
            raise dynamo_error(exc, "Prices states") from exc

    def spot(self, region: str) -> Mapping[tuple[str, str], PoolPrices]:
        found: dict[tuple[str, str], PoolPrices] = {}
        try:
            for item in self._model.query(f"SPOT#{region}"):
                zone, instance_type = item.sk.split("#", 1)
                history = tuple((int(t), float(p)) for t, p in json.loads(item.doc or "[]"))
                found[(zone, instance_type)] = PoolPrices(float(item.price or 0), int(item.at or 0), history)
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Prices spot {region}") from exc
        return found

    def merge_spot(self, region: str, points: Sequence[SpotPoint], keep_since: int) -> int:
        current = self.spot(region)
        incoming: dict[tuple[str, str], list[tuple[int, float]]] = {}
        for point in points:
            incoming.setdefault((point.zone, point.instance_type), []).append((point.at, point.price))
        try:
            with self._model.batch_write() as batch:
                for key, new in incoming.items():
                    old = current[key].history if key in current else ()
                    history = merged_history(old, new, keep_since)
                    at, price = history[-1]
                    item = self._model(
                        f"SPOT#{region}", f"{key[0]}#{key[1]}", doc=json.dumps(history), price=price, at=at
                    )
                    batch.save(item)
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Prices merge spot {region}") from exc
        return len(set(current) | set(incoming))

    def put_list(self, kind: str, region: str, prices: PriceList) -> None:
        try:
            self._model(f"LIST#{kind}#{region}", "CURRENT", doc=prices.as_text(), at=prices.at).save()
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Prices put {kind} {region}") from exc

    def list(self, kind: str, region: str) -> PriceList | None:
        item = self._get(f"LIST#{kind}#{region}", "CURRENT")
        if item is None:
            return None
        entries: dict[str, Any] = json.loads(item.doc or "{}")
        return PriceList(int(item.at or 0), entries)
