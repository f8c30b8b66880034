"""PynamoDB models of the pipeline's tables (docs/platform-contract.md), one class per table name.

Models are built per table name because the names come from settings; `host` is the local endpoint
(AWS_ENDPOINT_URL) and stays None in AWS. Only the adapters in this package use these classes.
"""

from __future__ import annotations

import functools
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

HIVE_MIND_REGION_INDEX = "ByRegion"
REGISTRY_POOL_INDEX = "ByPool"


def _meta(table: str, host: str | None, region: str | None) -> type:
    attrs: dict[str, Any] = {"table_name": table}
    if host:
        attrs["host"] = host
    if region:
        attrs["region"] = region
    return type("Meta", (), attrs)


class ByPool(GlobalSecondaryIndex["RegistryItem"]):  # type: ignore[no-untyped-call]
    """Every tenant's Spot nodes in one pool (`<region>#<az_id>#<instance_type>`) in one Query: the proactive
    rebalancing's pool -> nodes index. Sparse: only `INSTANCE#`/`NODE` items of Spot nodes with an AZ ID carry
    `pool`, so nothing else of the shared table is projected."""

    class Meta:
        index_name = REGISTRY_POOL_INDEX
        projection = AllProjection()

    pool = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class RegistryItem(Model):
    """All Registry item kinds share one table; each kind fills its own attributes."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # INSTANCE#<id>/NODE (and ACCOUNT#<account>/TENANT: tenant_id only)
    tenant_id = UnicodeAttribute(null=True)
    cluster = UnicodeAttribute(null=True)
    node_name = UnicodeAttribute(null=True)
    node_group = UnicodeAttribute(null=True)
    region = UnicodeAttribute(null=True)
    availability_zone = UnicodeAttribute(null=True)
    az_id = UnicodeAttribute(null=True)
    instance_type = UnicodeAttribute(null=True)
    capacity_type = UnicodeAttribute(null=True)
    pool = UnicodeAttribute(null=True)  # Spot nodes only: the ByPool index's key
    seen_at = NumberAttribute(null=True)  # when discovery (or its launch) last saw the node
    # TENANT#<tenant>/META
    account_id = UnicodeAttribute(null=True)
    role_arn = UnicodeAttribute(null=True)
    regions = ListAttribute[str](null=True)
    # TENANT#<tenant>/CLUSTER#<cluster>
    endpoint = UnicodeAttribute(null=True)
    ca_data = UnicodeAttribute(null=True)
    credentials: MapAttribute[str, Any] = MapAttribute(null=True)  # type: ignore[no-untyped-call]
    node_groups: MapAttribute[str, Any] = MapAttribute(null=True)  # type: ignore[no-untyped-call]
    # TENANT#<tenant>/CLUSTER#<cluster> written by the API: the cluster document (cloudoptim.adapters.aws.documents)
    doc = UnicodeAttribute(null=True)
    by_pool = ByPool()


class ByRegion(GlobalSecondaryIndex["HiveMindItem"]):  # type: ignore[no-untyped-call]
    """A region's live flags in one Query (`expires_at > now`), where a Scan read the whole table."""

    class Meta:
        index_name = HIVE_MIND_REGION_INDEX
        projection = AllProjection()

    region = UnicodeAttribute(hash_key=True)
    expires_at = NumberAttribute(range_key=True)


class HiveMindItem(Model):
    pool = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute(range_key=True)
    region = UnicodeAttribute()
    expires_at = NumberAttribute()  # TTL attribute, epoch seconds
    flagged_at = NumberAttribute()
    event_id = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    # HOURS#<day> items: instance-hours observed in the pool that day, and the discovery runs already counted
    hours = NumberAttribute(null=True)
    runs = UnicodeSetAttribute(null=True)
    by_region = ByRegion()


class IdempotencyItem(Model):
    """Powertools idempotency's layout (id, expiration, status, in_progress_expiration), plus who took it."""

    id = UnicodeAttribute(hash_key=True)
    expiration = NumberAttribute()
    status = UnicodeAttribute()
    in_progress_expiration = NumberAttribute(null=True)
    owner = UnicodeAttribute(null=True)


def bind(base: type[Model], table: str, host: str | None, region: str | None) -> type[Model]:
    name = f"{base.__name__}_{table}"
    return type(name, (base,), {"Meta": _meta(table, host, region), "__module__": __name__})


@functools.cache
def registry_model(table: str, host: str | None = None, region: str | None = None) -> type[RegistryItem]:
    return bind(RegistryItem, table, host, region)  # type: ignore[return-value]


@functools.cache
def hive_mind_model(table: str, host: str | None = None, region: str | None = None) -> type[HiveMindItem]:
    return bind(HiveMindItem, table, host, region)  # type: ignore[return-value]


@functools.cache
def idempotency_model(table: str, host: str | None = None, region: str | None = None) -> type[IdempotencyItem]:
    return bind(IdempotencyItem, table, host, region)  # type: ignore[return-value]
