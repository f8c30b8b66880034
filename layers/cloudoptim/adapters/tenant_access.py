"""Reach a tenant's AWS account and clusters from their documents: assume the account's role with its ExternalId
(kept in Secrets Manager), then EKS and EC2 clients with those credentials, and the cluster's Kubernetes API with an
EKS token signed by the role (or the service-account token CloudOptim keeps for it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.errors import translate
from cloudoptim.adapters.aws.node_groups import EksNodeGroups
from cloudoptim.adapters.kube.api import api_client
from cloudoptim.adapters.kube.auth import ClusterAccess, bearer_token
from cloudoptim.adapters.kube.nodes import list_nodes
from cloudoptim.adapters.kube.scaling import KubeWorkloads
from cloudoptim.discovery.ports import NodeInfo
from cloudoptim.tenancy.ports import ExternalIds, Json

REFRESH_MARGIN_SECONDS = 300


class TenantAccounts:
    """Clients in a tenant's account, through `CloudOptimAccess-<tenant>`; credentials cached until near expiry."""

    def __init__(
        self, external_ids: ExternalIds, endpoint_url: str | None = None, clock: Callable[[], float] = time.time
    ):
        self._external_ids = external_ids
        self._endpoint = endpoint_url
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[clients.Credentials, float]] = {}

    def credentials(self, tenant: str, account: Json) -> clients.Credentials:
        key = (tenant, str(account["aws_account_id"]))
        cached = self._cache.get(key)
        if cached is not None and cached[1] - REFRESH_MARGIN_SECONDS > self._clock():
            return cached[0]
        external_id = self._external_ids.read(tenant, key[1])
        sts = clients.client("sts", None, self._endpoint)
        try:
            raw = sts.assume_role(RoleArn=account["role_arn"], RoleSessionName=f"cloudoptim-{tenant}"[:64],
                                  ExternalId=external_id)["Credentials"]  # fmt: skip
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"AssumeRole {account['role_arn']}") from exc
        keys = clients.Credentials(raw["AccessKeyId"], raw["SecretAccessKey"], raw["SessionToken"])
        expires = raw["Expiration"].timestamp() if hasattr(raw["Expiration"], "timestamp") else 0.0
        self._cache[key] = (keys, expires)
        return keys

    def client(self, tenant: str, account: Json, service: str, region: str) -> Any:
        return clients.client(service, region, self._endpoint, self.credentials(tenant, account))


class TenantClusterAccess:
    """`ClusterAccess` (cloudoptim.hibernation.ports), `ClusterNodes` and `NodeGroupCatalog` (discovery)."""

    def __init__(self, accounts: TenantAccounts, endpoint_url: str | None = None, secrets_client: Any = None) -> None:
        self._accounts = accounts
        self._endpoint = endpoint_url
        self._secrets = secrets_client

    def workloads(self, tenant: str, cluster: Json, account: Json) -> KubeWorkloads:
        return KubeWorkloads(self._api_client(tenant, cluster, account))

    def nodes(self, tenant: str, cluster: Json, account: Json) -> list[NodeInfo]:
        """`ClusterNodes` (cloudoptim.discovery.ports)."""
        return list_nodes(self._api_client(tenant, cluster, account))

    def describe(self, tenant: str, cluster: Json, account: Json) -> dict[str, dict[str, Any]]:
        """`NodeGroupCatalog` (cloudoptim.discovery.ports)."""
        return self.node_groups(tenant, cluster, account).describe_all()

    def _api_client(self, tenant: str, cluster: Json, account: Json) -> Any:
        region = str(cluster["region"])
        access = ClusterAccess.model_validate(
            {"cluster": cluster["name"], "endpoint": cluster.get("endpoint") or "", "ca_data": cluster.get("ca_data"),
             "credentials": cluster.get("credentials") or {"kind": "eks"}}
        )  # fmt: skip
        if access.credentials.kind == "secret":
            secrets = self._secrets or clients.client("secretsmanager", region, self._endpoint)
            token = bearer_token(access, secrets_client=secrets)
        else:
            token = bearer_token(access, sts_client=self._accounts.client(tenant, account, "sts", region))
        return api_client(access.endpoint, token, access.ca_data)

    def node_groups(self, tenant: str, cluster: Json, account: Json) -> EksNodeGroups:
        eks = self._accounts.client(tenant, account, "eks", str(cluster["region"]))
        return EksNodeGroups(eks, str(cluster["name"]))
