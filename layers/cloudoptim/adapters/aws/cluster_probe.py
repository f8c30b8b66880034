"""`ClusterProbe`: describe an EKS cluster through the account's role (endpoint, CA, version; purpose "check"), then
reach its API as the drain workflow will (cloudoptim.adapters.kube.connector: https only, CA pinned)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.errors import CloudOptimError, KubeError
from cloudoptim.interruptions.ports import ClusterRecord, KubeConnector, TenantRecord
from cloudoptim.tenancy.ports import Connectivity, Json


class EksClusterProbe:
    def __init__(self, sessions: StsSessions, connector: KubeConnector, endpoint_url: str | None = None) -> None:
        self._sessions = sessions
        self._connector = connector
        self._endpoint = endpoint_url

    def check(self, tenant: str, cluster: Json, account: Json) -> Connectivity:
        region, name = str(cluster["region"]), str(cluster["name"])
        record = TenantRecord(tenant, str(account["aws_account_id"]), str(account["role_arn"]), (region,))
        checks: dict[str, bool] = {}
        try:
            eks = self._sessions.session(record, region, "check").client("eks", region, self._endpoint)
            checks["sts:AssumeRole"] = True
            described = eks.describe_cluster(name=name)["cluster"]
        except CloudOptimError as exc:
            return Connectivity(False, {"sts:AssumeRole": False}, (f"AssumeRole refused: {exc}",))
        except (ClientError, BotoCoreError) as exc:
            checks["eks:DescribeCluster"] = False
            return Connectivity(False, checks, (f"eks:DescribeCluster {name}: {exc}",))
        checks["eks:DescribeCluster"] = True
        endpoint = str(described.get("endpoint") or "")
        ca = str((described.get("certificateAuthority") or {}).get("data") or "") or None
        version = str(described.get("version") or "") or None
        access = ClusterRecord(tenant, name, endpoint, ca or "", dict(cluster.get("credentials") or {"kind": "eks"}))
        try:
            self._connector.connect(record, access, region).get_node("cloudoptim-connectivity-check")
            checks["get nodes"] = True  # a 404 is an answer: the API is there and lets us read nodes
        except KubeError as exc:
            checks["get nodes"] = False
            return Connectivity(False, checks, (f"Kubernetes API at {endpoint}: {exc}",), endpoint, ca, version)
        return Connectivity(True, checks, (), endpoint, ca, version)
