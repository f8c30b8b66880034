"""`KubeConnector` for the Lambdas: the tenant's assumed role signs the EKS token (or a Secrets Manager
token is read), then `cloudoptim.adapters.kube.api.connect` builds the port.

Connections are kept per warm container: the port (its ApiClient, urllib3 pool and TLS context, its token) is
reused for the same tenant, role, cluster, endpoint, CA and credentials for at most REUSE_SECONDS, well inside an
EKS token's 15 minutes (and short enough that a rotated Secrets Manager token is picked up); a 401/403 drops it at
once, so a connection whose token stopped working is rebuilt on the next call, never kept.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from cloudoptim.adapters.aws.clients import client
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.adapters.kube.api import KubeApiAdapter, api_client
from cloudoptim.adapters.kube.auth import ClusterAccess, bearer_token
from cloudoptim.errors import KubeAuthError, KubeCredentialsError, KubeTlsError
from cloudoptim.interruptions.kube import BudgetStatus, EvictionOutcome, KubePort, NodeStatus, PodRef
from cloudoptim.interruptions.ports import ClusterRecord, TenantRecord

REUSE_SECONDS = 600  # EKS accepts a token for 15 minutes after it was signed
ConnectionKey = tuple[str, str, str, str, str, str, str]


class _ReusedPort:
    """The cached port: delegates, and forgets its connection when the API server refuses its token."""

    def __init__(self, port: KubePort, forget: Callable[[], None]) -> None:
        self._port = port
        self._forget = forget

    def _call(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except KubeAuthError:
            self._forget()
            raise

    def get_node(self, name: str) -> NodeStatus | None:
        found: NodeStatus | None = self._call(lambda: self._port.get_node(name))
        return found

    def node_for_instance(self, instance_id: str) -> str | None:
        found: str | None = self._call(lambda: self._port.node_for_instance(instance_id))
        return found

    def cordon(self, name: str) -> NodeStatus:
        cordoned: NodeStatus = self._call(lambda: self._port.cordon(name))
        return cordoned

    def pods_on_node(self, name: str) -> list[PodRef]:
        pods: list[PodRef] = self._call(lambda: self._port.pods_on_node(name))
        return pods

    def evict(self, namespace: str, name: str, grace_seconds: int | None = None) -> EvictionOutcome:
        outcome: EvictionOutcome = self._call(lambda: self._port.evict(namespace, name, grace_seconds))
        return outcome

    def pdbs(self) -> list[BudgetStatus]:
        budgets: list[BudgetStatus] = self._call(self._port.pdbs)
        return budgets


class ClusterConnector:
    """`KubeConnector` (cloudoptim.interruptions.ports) over STS sessions and the official client."""

    def __init__(
        self,
        sessions: StsSessions,
        endpoint_url: str | None = None,
        secrets_client: Any = None,
        clock: Callable[[], float] = time.time,
        reuse_seconds: float = REUSE_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._endpoint_url = endpoint_url
        self._secrets = secrets_client
        self._clock = clock
        self._reuse_seconds = reuse_seconds
        self._ports: dict[ConnectionKey, tuple[KubePort, float]] = {}
        self._lock = threading.Lock()

    def connect(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> KubePort:
        key: ConnectionKey = (tenant.tenant_id, tenant.role_arn, region, cluster.cluster, cluster.endpoint,
                              cluster.ca_data, json.dumps(dict(cluster.credentials), sort_keys=True))  # fmt: skip
        now = self._clock()
        with self._lock:
            cached = self._ports.get(key)
        if cached is not None and now < cached[1]:
            return cached[0]
        access, token = self.access(tenant, cluster, region)  # raises: nothing cached
        port = _ReusedPort(KubeApiAdapter(api_client(access.endpoint, token, access.ca_data)), lambda: self._drop(key))
        with self._lock:
            self._ports[key] = (port, now + self._reuse_seconds)
        return port

    def _drop(self, key: ConnectionKey) -> None:
        with self._lock:
            self._ports.pop(key, None)

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
            if self._secrets is None:  # one client per container, built on first need
                self._secrets = client("secretsmanager", endpoint_url=self._endpoint_url)
            return access, bearer_token(access, secrets_client=self._secrets)
        session = self._sessions.session(tenant, region, "cluster")
        sts = session.client("sts", region_name=region, endpoint_url=self._endpoint_url)
        return access, bearer_token(access, sts_client=sts)
