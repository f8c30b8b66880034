"""`KubeConnector` for the Lambdas: the tenant's assumed role signs the EKS token (or a Secrets Manager
token is read), then `cloudoptim.adapters.kube.api.connect` builds the port."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from cloudoptim.adapters.aws.clients import client
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.adapters.kube.api import KubeApiAdapter, api_client
from cloudoptim.adapters.kube.auth import ClusterAccess, bearer_token
from cloudoptim.errors import KubeCredentialsError, KubeTlsError
from cloudoptim.interruptions.kube import KubePort
from cloudoptim.interruptions.ports import ClusterRecord, TenantRecord


class ClusterConnector:
    """`KubeConnector` (cloudoptim.interruptions.ports) over STS sessions and the official client."""

    def __init__(self, sessions: StsSessions, endpoint_url: str | None = None, secrets_client: Any = None) -> None:
        self._sessions = sessions
        self._endpoint_url = endpoint_url
        self._secrets = secrets_client

    def connect(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> KubePort:
        access, token = self.access(tenant, cluster, region)
        return KubeApiAdapter(api_client(access.endpoint, token, access.ca_data))

    def access(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> tuple[ClusterAccess, str | None]:
        try:
            access = ClusterAccess.model_validate(
                {
                    "cluster": cluster.cluster,
                    "endpoint": cluster.endpoint,
                    "ca_data": cluster.ca_data or None,
                    "credentials": dict(cluster.credentials) or {"kind": "eks"},
                }
            )
        except ValidationError as exc:
            problem = exc.errors()[0]
            # an http endpoint would send the bearer token in the clear: a TLS problem, not a credentials one
            kind = KubeTlsError if problem["loc"][:1] == ("endpoint",) else KubeCredentialsError
            raise kind(f"cluster {cluster.cluster}: {problem['msg']}") from exc
        if access.credentials.kind == "secret":
            secrets = self._secrets or client("secretsmanager", endpoint_url=self._endpoint_url)
            return access, bearer_token(access, secrets_client=secrets)
        session = self._sessions.session(tenant, region, "cluster")
        sts = session.client("sts", region_name=region, endpoint_url=self._endpoint_url)
        return access, bearer_token(access, sts_client=sts)
