"""Registry reads: instance -> tenant/cluster/node, account -> tenant, the tenant's role, the cluster's access and
node groups; and the writes of a launch (`INSTANCE#`) and a registration (`TENANT#`/`META`, `ACCOUNT#`). Every read
is keyed: no Scan (a scan would read every tenant's items)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from pynamodb.exceptions import DoesNotExist, PynamoDBException

from cloudoptim.adapters.aws._dynamo import dynamo_error, is_condition_failure
from cloudoptim.adapters.aws.tables import RegistryItem
from cloudoptim.errors import AccountTakenError, RecordNotFoundError
from cloudoptim.interruptions.ports import (
    CapacityType,
    ClusterRecord,
    NodeGroup,
    NodeRecord,
    TenantRecord,
)
from engines.interruption.hive import HivePool


def _raw(attribute: Any) -> dict[str, Any]:
    if attribute is None:
        return {}
    return dict(attribute.as_dict() if hasattr(attribute, "as_dict") else attribute)


def _capacity(value: str | None) -> CapacityType:
    return "on-demand" if value in ("on-demand", "ON_DEMAND", "on_demand") else "spot"


def node_group(name: str, raw: Mapping[str, Any]) -> NodeGroup:
    return NodeGroup(
        name=name,
        launch_template_id=str(raw.get("launch_template_id", "")),
        launch_template_version=str(raw.get("launch_template_version", "$Default")),
        subnets={str(k): str(v) for k, v in dict(raw.get("subnets") or {}).items()},
        capacity_type=_capacity(cast(str | None, raw.get("capacity_type"))),
        az_ids={str(k): str(v) for k, v in dict(raw.get("az_ids") or {}).items()},
    )


def pool_key(node: NodeRecord) -> str | None:
    """The node's Spot pool (`<region>#<az_id>#<instance_type>`, engines.interruption.hive.HivePool.key), or None
    for On-Demand nodes and nodes whose AZ ID is unknown (AZ names differ per account: no pool without the ID)."""
    if node.capacity_type != "spot" or not node.az_id:
        return None
    return HivePool(node.region, node.az_id, node.instance_type).key


def _node(instance_id: str, item: RegistryItem) -> NodeRecord | None:
    if not item.tenant_id or not item.cluster:
        return None
    return NodeRecord(
        instance_id=instance_id,
        tenant_id=item.tenant_id,
        cluster=item.cluster,
        node_name=item.node_name or "",
        node_group=item.node_group,
        region=item.region or "",
        availability_zone=item.availability_zone or "",
        az_id=item.az_id,
        instance_type=item.instance_type or "",
        capacity_type=_capacity(item.capacity_type),
        seen_at=int(item.seen_at) if item.seen_at is not None else None,
    )


class DynamoRegistry:
    def __init__(self, model: type[RegistryItem]) -> None:
        self._model = model

    def _get(self, pk: str, sk: str) -> RegistryItem | None:
        try:
            return self._model.get(pk, sk)
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Registry get {pk}/{sk}") from exc

    def node_for_instance(self, instance_id: str) -> NodeRecord | None:
        item = self._get(f"INSTANCE#{instance_id}", "NODE")
        return _node(instance_id, item) if item is not None else None

    def nodes_in_pool(self, pool: HivePool) -> list[NodeRecord]:
        """Every tenant's Spot nodes in `pool`: one Query of the sparse `ByPool` index (never a Scan)."""
        model = self._model
        try:
            items = list(model.by_pool.query(pool.key))
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Registry query ByPool {pool.key}") from exc
        found = (_node(i.pk.removeprefix("INSTANCE#"), i) for i in items if i.pk.startswith("INSTANCE#"))
        return [n for n in found if n is not None]

    def register_node(self, node: NodeRecord) -> None:
        """`INSTANCE#<id>`/`NODE`, so a notice about this instance later resolves to its tenant and node; a Spot
        node with an AZ ID also carries its pool (the `ByPool` index the proactive rebalancing queries)."""
        item = self._model(
            f"INSTANCE#{node.instance_id}", "NODE", tenant_id=node.tenant_id, cluster=node.cluster,
            node_name=node.node_name, node_group=node.node_group, region=node.region,
            availability_zone=node.availability_zone, az_id=node.az_id, instance_type=node.instance_type,
            capacity_type=node.capacity_type, pool=pool_key(node), seen_at=node.seen_at,
        )  # fmt: skip
        try:
            item.save()
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Registry put INSTANCE#{node.instance_id}") from exc

    def tenant(self, tenant_id: str) -> TenantRecord:
        pk = f"TENANT#{tenant_id}"
        try:  # the record and the API's settings document (safe mode) in one BatchGetItem: ingest reads it per notice
            found = {i.sk: i for i in self._model.batch_get([(pk, "META"), (pk, "SETTINGS#current")])}
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Registry get {pk}") from exc
        item, settings = found.get("META"), found.get("SETTINGS#current")
        if item is None:
            raise RecordNotFoundError(f"tenant {tenant_id!r} is not registered")
        safe = bool(json.loads(settings.doc).get("safe_mode")) if settings is not None and settings.doc else False
        return TenantRecord(
            tenant_id=tenant_id,
            account_id=item.account_id or "",
            role_arn=item.role_arn or "",
            regions=tuple(item.regions or ()),
            safe_mode=safe,
        )

    def cluster(self, tenant_id: str, cluster: str) -> ClusterRecord:
        """The cluster as the API registered it (its JSON document), or as an older registration wrote it."""
        item = self._get(f"TENANT#{tenant_id}", f"CLUSTER#{cluster}")
        if item is None:
            raise RecordNotFoundError(f"cluster {cluster!r} of tenant {tenant_id!r} is not registered")
        if item.doc is not None:
            body = json.loads(item.doc)
            groups = {name: node_group(name, raw) for name, raw in dict(body.get("node_groups") or {}).items()}
            return ClusterRecord(
                tenant_id=tenant_id, cluster=cluster, endpoint=str(body.get("endpoint") or ""),
                ca_data=str(body.get("ca_data") or ""),
                credentials={str(k): str(v) for k, v in dict(body.get("credentials") or {}).items()},
                node_groups=groups, account_id=body.get("account_id"),
            )  # fmt: skip
        groups = {name: node_group(name, raw) for name, raw in _raw(item.node_groups).items()}
        return ClusterRecord(
            tenant_id=tenant_id,
            cluster=cluster,
            endpoint=item.endpoint or "",
            ca_data=item.ca_data or "",
            credentials={str(k): str(v) for k, v in _raw(item.credentials).items()},
            node_groups=groups,
        )

    def tenant_for_account(self, account_id: str) -> str | None:
        """The tenant owning an AWS account: the `ACCOUNT#<id>` item registration writes (one GetItem)."""
        item = self._get(f"ACCOUNT#{account_id}", "TENANT")
        return item.tenant_id if item is not None and item.tenant_id else None

    def claim_account(self, account_id: str, tenant_id: str) -> None:
        """`ACCOUNT#<id>`/`TENANT`: an account belongs to one tenant (a conditional put; idempotent for its owner)."""
        model = self._model
        account = model(f"ACCOUNT#{account_id}", "TENANT", tenant_id=tenant_id)
        try:
            account.save(condition=model.pk.does_not_exist() | (model.tenant_id == tenant_id))
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                raise AccountTakenError(f"account {account_id} is registered to another tenant") from exc
            raise dynamo_error(exc, f"Registry put ACCOUNT#{account_id}") from exc

    def release_account(self, account_id: str, tenant_id: str) -> None:
        model = self._model
        try:
            model(f"ACCOUNT#{account_id}", "TENANT").delete(condition=model.tenant_id == tenant_id)
        except PynamoDBException as exc:
            if not is_condition_failure(exc):
                raise dynamo_error(exc, f"Registry delete ACCOUNT#{account_id}") from exc

    def register_tenant(self, tenant: TenantRecord) -> None:
        """`ACCOUNT#<id>`/`TENANT` first (an account belongs to one tenant: a conditional put), then the META item."""
        model = self._model
        self.claim_account(tenant.account_id, tenant.tenant_id)
        meta = model(
            f"TENANT#{tenant.tenant_id}", "META", account_id=tenant.account_id, role_arn=tenant.role_arn,
            regions=list(tenant.regions),
        )  # fmt: skip
        try:
            meta.save()
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Registry put TENANT#{tenant.tenant_id}") from exc
