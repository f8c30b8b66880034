"""The hibernation Kubernetes adapter against the emulator, and the emulator's controllers it relies on: scaling
removes and recreates pods, an HPA does nothing to a target at zero, an unpaused KEDA ScaledObject scales its target
back up from zero (why hibernation pauses it), CronJobs keep their flag, controllers derived from a pods-only seed."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from cloudoptim.adapters.kube.scaling import KubeWorkloads
from engines.hibernation.plan import KEDA_PAUSED, Change, Kind
from localmode.kube_emulator import KubeEmulator, load_seed


@pytest.fixture
def kube() -> Iterator[KubeEmulator]:
    with KubeEmulator(load_seed(), pod_ready_seconds=0) as emulator:
        yield emulator


def post(kube: KubeEmulator, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{kube.url}{path}", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=10).read()


def pods_of(kube: KubeEmulator, namespace: str, prefix: str) -> list[str]:
    return [p["metadata"]["name"] for p in kube.store.list_pods(namespace) if p["metadata"]["name"].startswith(prefix)]


def test_controllers_are_derived_from_a_pods_only_seed(kube: KubeEmulator) -> None:
    inventory = KubeWorkloads(kube.api_client()).inventory()
    kinds = {w.kind for w in inventory.workloads}
    assert kinds == {Kind.DEPLOYMENT, Kind.STATEFULSET}
    web = next(w for w in inventory.workloads if w.key == "Deployment/team-a/api-runner")
    assert web.replicas == 2 and web.pod_cpu_m > 0


def test_scaling_removes_and_recreates_pods_and_statefulsets_keep_ordinals(kube: KubeEmulator) -> None:
    workloads = KubeWorkloads(kube.api_client())
    workloads.apply(Change(Kind.STATEFULSET, "team-f", "cache-trainer", {"replicas": 0}))
    assert pods_of(kube, "team-f", "cache-trainer") == []
    workloads.apply(Change(Kind.STATEFULSET, "team-f", "cache-trainer", {"replicas": 3}))
    assert pods_of(kube, "team-f", "cache-trainer") == ["cache-trainer-0", "cache-trainer-1", "cache-trainer-2"]
    assert workloads.pods_pending() == 0 and workloads.not_ready(Kind.STATEFULSET) == []


def test_an_hpa_does_nothing_to_a_target_at_zero(kube: KubeEmulator) -> None:
    post(kube, "/apis/autoscaling/v2/namespaces/team-a/horizontalpodautoscalers", {
        "metadata": {"name": "api-runner"}, "spec": {"minReplicas": 2, "maxReplicas": 4,
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api-runner"}}})  # fmt: skip
    workloads = KubeWorkloads(kube.api_client())
    workloads.apply(Change(Kind.DEPLOYMENT, "team-a", "api-runner", {"replicas": 0}))
    assert pods_of(kube, "team-a", "api-runner") == []
    workloads.apply(Change(Kind.DEPLOYMENT, "team-a", "api-runner", {"replicas": 1}))
    deployment = next(w for w in workloads.inventory().workloads if w.key == "Deployment/team-a/api-runner")
    assert deployment.replicas == 2  # back above zero, the HPA raises it to its minimum
    hpa = next(w for w in workloads.inventory().workloads if w.kind is Kind.HPA)
    assert (hpa.min_replicas, hpa.max_replicas, hpa.target) == (2, 4, "Deployment/api-runner")


def test_an_unpaused_scaled_object_scales_its_target_back_up_a_paused_one_does_not(kube: KubeEmulator) -> None:
    spec = {"minReplicaCount": 1, "scaleTargetRef": {"name": "ingest-gateway"}}
    post(
        kube,
        "/apis/keda.sh/v1alpha1/namespaces/team-a/scaledobjects",
        {"metadata": {"name": "ingest-gateway"}, "spec": spec},
    )
    workloads = KubeWorkloads(kube.api_client())
    workloads.apply(Change(Kind.DEPLOYMENT, "team-a", "ingest-gateway", {"replicas": 0}))
    assert len(pods_of(kube, "team-a", "ingest-gateway")) == 1  # KEDA fought the scale-down
    workloads.apply(Change(Kind.SCALEDOBJECT, "team-a", "ingest-gateway", {"annotations": {KEDA_PAUSED: "true"}}))
    workloads.apply(Change(Kind.DEPLOYMENT, "team-a", "ingest-gateway", {"replicas": 0}))
    assert pods_of(kube, "team-a", "ingest-gateway") == []
    workloads.apply(Change(Kind.SCALEDOBJECT, "team-a", "ingest-gateway", {"annotations": {KEDA_PAUSED: None}}))
    scaled = next(w for w in workloads.inventory().workloads if w.kind is Kind.SCALEDOBJECT)
    assert KEDA_PAUSED not in scaled.annotations  # a null in the merge patch removed it


def test_cronjobs_keep_their_suspend_flag(kube: KubeEmulator) -> None:
    job = {"spec": {"template": {"spec": {"containers": [{"name": "r", "image": "x"}]}}}}
    post(kube, "/apis/batch/v1/namespaces/team-b/cronjobs",
         {"metadata": {"name": "report"}, "spec": {"schedule": "0 2 * * *", "jobTemplate": job}})  # fmt: skip
    workloads = KubeWorkloads(kube.api_client())
    workloads.apply(Change(Kind.CRONJOB, "team-b", "report", {"suspend": True}))
    assert next(w for w in workloads.inventory().workloads if w.kind is Kind.CRONJOB).suspend is True
