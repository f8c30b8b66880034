"""`cloudoptim local hibernate-drill`: put the emulated cluster to sleep and wake it through the deployed stack.

On a started `LocalStack`: the local tenant's cluster gets a schedule that keeps it asleep now and the `automatic`
hibernation policy (both through the product's own use cases, so they are audited), plus what hibernation must
handle (an HPA, a KEDA ScaledObject, two CronJobs, one suspended, an Argo CD-managed Deployment). The
hibernation_tick Lambda is invoked as EventBridge would, the Hibernate state machine runs in moto, then a manual
wake-up (what `POST /v1/clusters/{id}/hibernation/wake` does) and a second tick wake it. The report is read from the
emulators, independently of what the product recorded: every object hibernation may touch is read before the sleep
and after the wake, and any difference is a restore mismatch.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudoptim.adapters.aws.documents import DynamoDocuments, document_model
from cloudoptim.hibernation import schedules
from cloudoptim.hibernation.records import SNAPSHOT, state_of
from cloudoptim.settings import ApiSettings
from cloudoptim.tenancy import policies
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.principal import Principal, Role
from cloudoptim.wiring.api import tenancy
from localmode.api import LocalDirectory, workflow_arns
from localmode.aws import ACCOUNT_ID
from localmode.drill import DrillError
from localmode.kube_emulator.scheduling import is_terminal
from localmode.signer import LocalSigner
from localmode.stack import LocalStack

ALWAYS_ASLEEP = {"timezone": "UTC", "awake": {}, "prewarm_minutes": 0}
KEDA_KEYS = ("autoscaling.keda.sh/paused", "autoscaling.keda.sh/paused-replicas")


@dataclass(frozen=True)
class HibernateDrillSettings:
    execution_timeout_seconds: float = 300.0
    settle_timeout_seconds: float = 120.0


def _fields(kind: str, obj: dict[str, Any]) -> Any:
    spec, notes = obj.get("spec") or {}, obj["metadata"].get("annotations") or {}
    if kind in ("Deployment", "StatefulSet"):
        return spec.get("replicas")
    if kind == "CronJob":
        return bool(spec.get("suspend"))
    if kind == "HorizontalPodAutoscaler":
        return (spec.get("minReplicas"), spec.get("maxReplicas"))
    return tuple(notes.get(k) for k in KEDA_KEYS)


def cluster_reading(stack: LocalStack) -> dict[str, Any]:
    """Every field hibernation may change, read from the emulated cluster and moto's EKS."""
    assert stack.tenant is not None
    state = stack.kube.store.state
    found: dict[str, Any] = {}
    with stack.kube.store.operation():
        for kind in ("Deployment", "StatefulSet", "CronJob", "HorizontalPodAutoscaler", "ScaledObject"):
            for (namespace, name), obj in state.workloads.table(kind).items():
                found[f"{kind}/{namespace}/{name}"] = _fields(kind, obj)
    eks = stack.aws.client("eks")
    for group in sorted(stack.tenant.node_groups):
        scaling = eks.describe_nodegroup(clusterName=stack.tenant.cluster, nodegroupName=group)["nodegroup"]
        found[f"NodeGroup/{group}"] = dict(scaling["scalingConfig"])
    return found


def mismatches(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Objects whose hibernation fields differ (or that appeared or vanished)."""
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def pods_pending(stack: LocalStack) -> int:
    return sum(1 for p in stack.kube.store.list_pods() if not is_terminal(p) and not p["spec"].get("nodeName"))


def nodes_ready(stack: LocalStack) -> int:
    nodes = stack.kube.store.list_nodes()
    return sum(1 for n in nodes if any(c.get("type") == "Ready" and c.get("status") == "True"
                                       for c in n["status"]["conditions"]))  # fmt: skip


def _post(url: str, body: dict[str, Any], context: ssl.SSLContext | None) -> None:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    urllib.request.urlopen(request, timeout=10, context=context).read()


def _patch(url: str, body: dict[str, Any], context: ssl.SSLContext | None) -> None:
    headers = {"Content-Type": "application/merge-patch+json"}
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="PATCH")
    urllib.request.urlopen(request, timeout=10, context=context).read()


def add_workload_extras(stack: LocalStack) -> None:
    """What a real dev cluster has and hibernation must handle, through the emulated API."""
    with stack.kube.store.operation():
        deployments = sorted(k for k in stack.kube.store.state.workloads.deployments if k[0] != "kube-system")
    (hpa_ns, hpa_target), (keda_ns, keda_target), (argo_ns, argo_target) = deployments[:3]
    url = stack.kube.url
    # the emulator speaks https with the stack's own CA, as a real cluster does with its own
    tls = ssl.create_default_context(cafile=str(stack.certificate.cert_file)) if stack.certificate else None
    replicas = stack.kube.store.state.workloads.deployments[(hpa_ns, hpa_target)]["spec"]["replicas"]
    _post(f"{url}/apis/autoscaling/v2/namespaces/{hpa_ns}/horizontalpodautoscalers", {
        "metadata": {"name": hpa_target}, "spec": {"minReplicas": 1, "maxReplicas": replicas + 2,
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": hpa_target}}}, tls)  # fmt: skip
    _post(f"{url}/apis/keda.sh/v1alpha1/namespaces/{keda_ns}/scaledobjects", {
        "metadata": {"name": keda_target}, "spec": {"minReplicaCount": 1, "maxReplicaCount": 10,
        "scaleTargetRef": {"name": keda_target}, "triggers": [{"type": "cron", "metadata": {}}]}}, tls)  # fmt: skip
    for name, suspended in (("nightly-report", False), ("backfill", True)):
        _post(f"{url}/apis/batch/v1/namespaces/{hpa_ns}/cronjobs", {
            "metadata": {"name": name}, "spec": {"schedule": "0 2 * * *", "suspend": suspended,
            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "image": "busybox"}],
                                                            "restartPolicy": "Never"}}}}}}, tls)  # fmt: skip
    tracking = {"argocd.argoproj.io/tracking-id": f"{argo_ns}:apps/Deployment:{argo_target}"}
    _patch(
        f"{url}/apis/apps/v1/namespaces/{argo_ns}/deployments/{argo_target}",
        {"metadata": {"annotations": tracking}},
        tls,
    )


@dataclass
class HibernateDrill:
    stack: LocalStack
    settings: HibernateDrillSettings
    clock: Callable[[], float] = time.time

    def tenancy(self) -> TenancyDeps:
        assert self.stack.deployed is not None
        tables, aws = self.stack.deployed.tables, self.stack.aws
        settings = ApiSettings.from_env({
            "REGISTRY_TABLE": tables["REGISTRY_TABLE"], "AUDIT_TABLE": tables["AUDIT_TABLE"], "API_ISSUER": "local",
            "API_AUDIENCE": "local", "SAAS_ACCOUNT_ID": ACCOUNT_ID, "AUDIT_KEY_ID": "local",
            "AWS_ENDPOINT_URL": aws.endpoint_url, "AWS_REGION": aws.region,
            **workflow_arns(self.stack.deployed.function_env.get("api") or {}),
        })  # fmt: skip
        return tenancy(settings, users=LocalDirectory(), signer=LocalSigner.load())

    def tick(self) -> dict[str, Any]:
        """Invoke hibernation_tick as its schedule would; the decision for the local cluster."""
        assert self.stack.deployed is not None and self.stack.tenant is not None
        answer = self.stack.aws.client("lambda").invoke(FunctionName=self.stack.deployed.functions["hibernation_tick"])
        body = json.loads(answer["Payload"].read())
        if "decisions" not in body:
            raise DrillError(f"hibernation_tick failed: {body}")
        found = [d for d in body["decisions"] if d["cluster"] == self.stack.tenant.cluster]
        if not found or found[0]["outcome"] != "started":
            raise DrillError(f"the tick started nothing: {found}")
        return dict(found[0])

    def wait(self, execution: str) -> None:
        assert self.stack.deployed is not None
        sfn = self.stack.aws.client("stepfunctions")
        machine = self.stack.deployed.function_env["hibernation_tick"]["HIBERNATE_STATE_MACHINE_ARN"]
        arn = f"{machine.replace(':stateMachine:', ':execution:')}:{execution}"
        deadline = self.clock() + self.settings.execution_timeout_seconds
        while self.clock() < deadline:
            status = sfn.describe_execution(executionArn=arn)["status"]
            if status != "RUNNING":
                if status != "SUCCEEDED":
                    raise DrillError(f"execution {execution} ended {status}")
                return
            time.sleep(0.2)
        raise DrillError(f"execution {execution} still running after {self.settings.execution_timeout_seconds} s")

    def settle(self) -> None:
        deadline = self.clock() + self.settings.settle_timeout_seconds
        while self.clock() < deadline and (
            pods_pending(self.stack) or nodes_ready(self.stack) < len(self.stack.kube.store.list_nodes())
        ):
            time.sleep(0.2)

    def run(self) -> dict[str, Any]:
        stack = self.stack
        assert stack.deployed is not None and stack.tenant is not None
        tenant_id, cluster = stack.tenant.tenant_id, stack.tenant.cluster
        deps = self.tenancy()
        admin = Principal(tenant_id, "local-admin", "admin@local", Role.ADMIN)
        add_workload_extras(stack)
        now = int(self.clock())
        policies.replace(deps, admin, cluster, {"automation": {"hibernation": "automatic"}}, 0, now)
        schedules.replace_schedule(deps, admin, cluster, ALWAYS_ASLEEP, 0, now)
        self.settle()
        before, nodes_before = cluster_reading(stack), nodes_ready(stack)
        sleep = self.tick()
        self.wait(sleep["execution"])
        documents = DynamoDocuments(
            document_model(stack.deployed.tables["REGISTRY_TABLE"], stack.aws.endpoint_url, stack.aws.region)
        )
        asleep = state_of(documents, tenant_id, cluster).body
        counts = asleep["history"][0]
        nodes_asleep = len(stack.kube.store.list_nodes())
        operator = Principal(tenant_id, "local-operator", "ops@local", Role.OPERATOR)
        schedules.wake(deps, operator, cluster, 1, int(self.clock()))
        wake = self.tick()
        self.wait(wake["execution"])
        self.settle()
        after = cluster_reading(stack)
        snapshot = documents.get(tenant_id, SNAPSHOT, str(asleep["snapshot"]))
        audit = [e for e in deps.audit.newest(tenant_id, None, 100) if str(e["action"]).startswith("hibernation.")]
        return {
            "workloads_scaled_down": counts["workloads"],
            "cronjobs_suspended": counts["cronjobs"],
            "hpas": sum(
                1 for e in (snapshot.body["entries"] if snapshot else []) if e["kind"] == "HorizontalPodAutoscaler"
            ),
            "nodes_before": nodes_before,
            "nodes_asleep": nodes_asleep,
            "nodes_after_wake": nodes_ready(stack),
            "restore_mismatches": len(mismatches(before, after)),
            "pods_pending_after_wake": pods_pending(stack),
            "audit_records": len(audit),
        }


def run_hibernate_drill(stack: LocalStack, settings: HibernateDrillSettings | None = None) -> dict[str, Any]:
    return HibernateDrill(stack, settings or HibernateDrillSettings()).run()
