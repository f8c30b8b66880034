"""Reach a tenant's AWS account and clusters from their documents: assume the account's role with its ExternalId
(kept in Secrets Manager), then EKS and EC2 clients with those credentials, and the cluster's Kubernetes API with an
EKS token signed by the role (or the service-account token CloudOptim keeps for it)."""

from __future__ import annotations

from typing import Any

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.node_groups import EksNodeGroups
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.adapters.kube.api import api_client
from cloudoptim.adapters.kube.auth import ClusterAccess, bearer_token
from cloudoptim.adapters.kube.nodes import list_nodes
from cloudoptim.adapters.kube.scaling import KubeWorkloads
from cloudoptim.adapters.kube.snapshot import KubeSnapshots
from cloudoptim.discovery.ports import NodeInfo
from cloudoptim.interruptions.ports import TenantRecord
from cloudoptim.optimization.ports import ClusterSnapshot, UsageSample
from cloudoptim.tenancy.actions import Purpose
from cloudoptim.tenancy.ports import Json


class TenantAccounts:
    """Clients in a tenant's account through `CloudOptimAccess-<tenant>`: one session per tenant, region and
    purpose (cloudoptim.adapters.aws.sts), so each job's credentials hold only its purpose's actions."""

    def __init__(self, sessions: StsSessions, endpoint_url: str | None = None) -> None:
        self._sessions = sessions
        self._endpoint = endpoint_url

    def client(self, tenant: str, account: Json, service: str, region: str, purpose: Purpose) -> Any:
        record = TenantRecord(tenant, str(account["aws_account_id"]), str(account["role_arn"]),
                              tuple(account.get("regions") or (region,)))  # fmt: skip
        return self._sessions.session(record, region, purpose).client(service, region, self._endpoint)


class TenantClusterAccess:
    """`ClusterAccess` (cloudoptim.hibernation.ports), `ClusterNodes` and `NodeGroupCatalog` (discovery)."""

    def __init__(
        self,
        accounts: TenantAccounts,
        endpoint_url: str | None = None,
        secrets_client: Any = None,
        node_group_purpose: Purpose = "discover",  # "hibernate" for the one job that resizes node groups
    ) -> None:
        self._accounts = accounts
        self._node_group_purpose: Purpose = node_group_purpose
        self._endpoint = endpoint_url
        self._secrets = secrets_client

    def workloads(self, tenant: str, cluster: Json, account: Json) -> KubeWorkloads:
        return KubeWorkloads(self._api_client(tenant, cluster, account))

    def nodes(self, tenant: str, cluster: Json, account: Json) -> list[NodeInfo]:
        """`ClusterNodes` (cloudoptim.discovery.ports)."""
        return list_nodes(self._api_client(tenant, cluster, account))

    def snapshot(self, tenant: str, cluster: Json, account: Json) -> ClusterSnapshot:
        """`ClusterReader` (cloudoptim.optimization.ports): the sweep's snapshot."""
        found = KubeSnapshots(self._api_client(tenant, cluster, account)).snapshot()
        return ClusterSnapshot(found.document, found.notes)

    def pod_usage(self, tenant: str, cluster: Json, account: Json) -> list[UsageSample]:
        return KubeSnapshots(self._api_client(tenant, cluster, account)).pod_usage()

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
            token = bearer_token(access, sts_client=self._accounts.client(tenant, account, "sts", region, "cluster"))
        return api_client(access.endpoint, token, access.ca_data)

    def node_groups(self, tenant: str, cluster: Json, account: Json) -> EksNodeGroups:
        eks = self._accounts.client(tenant, account, "eks", str(cluster["region"]), self._node_group_purpose)
        return EksNodeGroups(eks, str(cluster["name"]))
