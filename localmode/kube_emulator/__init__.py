"""A Kubernetes API server emulator for local mode, drills and tests, spoken to by the official client.

>>> from kubernetes.client import CoreV1Api
>>> with KubeEmulator({"kind": "List", "items": []}) as kube:
...     CoreV1Api(kube.api_client()).list_node().items
[]
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from kubernetes.client import ApiClient

from cloudoptim.adapters.kube.api import api_client
from engines.cluster.budget import BudgetCount
from localmode.kube_emulator import metrics, workload_api  # noqa: F401 - register their routes
from localmode.kube_emulator.objects import Obj
from localmode.kube_emulator.server import EmulatorServer, Fault
from localmode.kube_emulator.store import ClusterStore, EmulatorStats

SEED_CLUSTER = Path(__file__).resolve().parents[1] / "data" / "local-cluster.json"

__all__ = [
    "SEED_CLUSTER",
    "BudgetCount",
    "ClusterStore",
    "EmulatorStats",
    "KubeEmulator",
    "api_client_for",
    "load_seed",
]


def load_seed(path: Path = SEED_CLUSTER) -> Obj:
    """The cluster shipped for local mode (a Kubernetes List of nodes, pods and budgets)."""
    document: Obj = json.loads(path.read_text())
    return document


def api_client_for(url: str, token: str | None = None) -> ApiClient:
    """An ApiClient for an emulator (or any API server over plain HTTP): no kubeconfig, optional bearer token."""
    return api_client(url, token)


class KubeEmulator:
    """Serve a cluster document over HTTP on localhost: `url = KubeEmulator(doc).start()`, later `.stop()`.

    `token`: when set, requests must carry `Authorization: Bearer <token>` (401 otherwise).
    `accept_eks_tokens`: also accept tokens shaped like `aws eks get-token`'s (their signature is not checked).
    `pod_ready_seconds`: how long a replacement pod takes to pass its readiness probe.
    `certificate`: (cert PEM, key PEM) files to serve HTTPS, so clients exercise the CA pinning of EKS endpoints.
    """

    def __init__(
        self,
        cluster: Mapping[str, Any] | str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        pod_ready_seconds: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        certificate: tuple[Path, Path] | None = None,
        accept_eks_tokens: bool = False,
    ) -> None:
        document: Mapping[str, Any] | None
        if isinstance(cluster, Path) or (isinstance(cluster, str) and not cluster.lstrip().startswith("{")):
            document = load_seed(Path(cluster))
        elif isinstance(cluster, str):
            document = json.loads(cluster)
        else:
            document = cluster
        self.store = ClusterStore(document, pod_ready_seconds=pod_ready_seconds, clock=clock)
        self.token = token
        self._address = (host, port)
        self._certificate = certificate
        self._accept_eks_tokens = accept_eks_tokens
        self._server: EmulatorServer | None = None
        self._faults: list[Fault] = []
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start()")
        host, port = self._server.server_address[:2]
        return f"{'https' if self._certificate else 'http'}://{host!s}:{port}"

    def start(self) -> str:
        if self._server is None:
            self._server = EmulatorServer(self._address, self.store, self.token, self._accept_eks_tokens)
            if self._certificate is not None:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(*self._certificate)
                self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            for fault in self._faults:
                if fault.remaining > 0:
                    self._server.add_fault(fault)
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="kube-emulator", daemon=True
            )
            self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server, self._thread = None, None

    def __enter__(self) -> KubeEmulator:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def api_client(self) -> ApiClient:
        return api_client_for(self.url, self.token)

    def register_node(self, name: str, instance_id: str, zone: str, instance_type: str, **options: Any) -> Obj:
        """A booting instance's kubelet registers its node (see ClusterStore.register_node for options)."""
        return self.store.register_node(name, instance_id, zone, instance_type, **options)

    def fail(self, method: str, path: str, code: int, message: str = "", times: int = 1) -> None:
        """The next `times` requests `method` on a path matching the regex `path` are answered `code`.

        e.g. `fail("POST", r"/eviction$", 429)` throttles evictions, `fail("GET", r"/nodes/", 503)` a busy server.
        """
        fault = Fault(method.upper(), re.compile(path), code, message, times)
        self._faults.append(fault)
        if self._server is not None:
            self._server.add_fault(fault)

    def stats(self) -> EmulatorStats:
        return self.store.stats
