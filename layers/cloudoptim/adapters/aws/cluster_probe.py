"""`ClusterProbe`: describe an EKS cluster through the account's role (endpoint, CA, version), then reach its API
with the credentials CloudOptim holds for it and list one node."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.kube.api import connect
from cloudoptim.adapters.kube.auth import ClusterAccess
from cloudoptim.errors import KubeError
from cloudoptim.interruptions.kube import KubePort
from cloudoptim.tenancy.ports import Connectivity, ExternalIds, Json

Connect = Callable[..., KubePort]


class EksClusterProbe:
    def __init__(
        self, external_ids: ExternalIds, endpoint_url: str | None = None, connector: Connect = connect
    ) -> None:
        self._external_ids = external_ids
        self._endpoint = endpoint_url
        self._connect = connector

    def check(self, tenant: str, cluster: Json, account: Json) -> Connectivity:
        region, name = str(cluster["region"]), str(cluster["name"])
        sts = clients.client("sts", region, self._endpoint)
        checks: dict[str, bool] = {}
        try:
            external_id = self._external_ids.read(tenant, str(account["aws_account_id"]))
            raw = sts.assume_role(
                RoleArn=account["role_arn"], RoleSessionName="cloudoptim-check", ExternalId=external_id
            )
        except (ClientError, BotoCoreError) as exc:
            return Connectivity(False, {"sts:AssumeRole": False}, (f"AssumeRole refused: {exc}",))
        checks["sts:AssumeRole"] = True
        keys = clients.Credentials(*(raw["Credentials"][k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")))
        try:
            described = clients.client("eks", region, self._endpoint, keys).describe_cluster(name=name)["cluster"]
        except (ClientError, BotoCoreError) as exc:
            checks["eks:DescribeCluster"] = False
            return Connectivity(False, checks, (f"eks:DescribeCluster {name}: {exc}",))
        checks["eks:DescribeCluster"] = True
        endpoint = str(described.get("endpoint") or "")
        ca = str((described.get("certificateAuthority") or {}).get("data") or "") or None
        return self._reach(name, endpoint, ca, cluster, keys, checks, str(described.get("version") or "") or None)

    def _reach(
        self, name: str, endpoint: str, ca: str | None, cluster: Json, keys: clients.Credentials,
        checks: dict[str, bool], version: str | None,
    ) -> Connectivity:  # fmt: skip
        if not endpoint.startswith("https://"):
            checks["https endpoint"] = False
            return Connectivity(False, checks, (f"endpoint {endpoint!r} is not https: no token is sent to it",))
        access = ClusterAccess.model_validate(
            {"cluster": name, "endpoint": endpoint, "ca_data": ca, "credentials": cluster["credentials"]}
        )
        try:
            kube = self._connect(
                access,
                sts_client=clients.client("sts", str(cluster["region"]), self._endpoint, keys),
                secrets_client=clients.client("secretsmanager", str(cluster["region"]), self._endpoint),
            )
            kube.get_node("cloudoptim-connectivity-check")  # a 404 is an answer: the API is reachable and we may get
            checks["get nodes"] = True
        except KubeError as exc:
            checks["get nodes"] = False
            return Connectivity(False, checks, (f"Kubernetes API: {exc}",), endpoint, ca, version)
        return Connectivity(True, checks, (), endpoint, ca, version)
