"""The real Kubernetes adapter, through the official client, against the API emulator (HTTP, and HTTPS with the
cluster CA pinned where a cluster is reached through the registry: endpoints must be https)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.adapters.kube.api import KubeApiAdapter, api_client, connect
from cloudoptim.adapters.kube.auth import ClusterAccess
from cloudoptim.adapters.kube.connector import ClusterConnector
from cloudoptim.errors import (
    KubeAuthError,
    KubeConflictError,
    KubeNotFoundError,
    KubeThrottledError,
    KubeTlsError,
    KubeUnavailableError,
)
from cloudoptim.interruptions.kube import EvictionResult
from cloudoptim.interruptions.ports import ClusterRecord, TenantRecord
from localmode.kube_emulator import SEED_CLUSTER, KubeEmulator, load_seed
from localmode.tls import self_signed
from tests.fakes.aws import FakeExternalIds
from tests.fakes.kube_cluster import FakeClock, cluster, node, pdb, pod, web_cluster

OLD, NEW = "i-0aaaaaaaaaaaaaaa1", "i-0ccccccccccccccc3"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def web(clock: FakeClock) -> Iterator[KubeEmulator]:
    with KubeEmulator(web_cluster(3, min_available=2), clock=clock) as emulator:
        yield emulator


def test_reads_nodes_and_maps_instances(web: KubeEmulator) -> None:
    kube = KubeApiAdapter(web.api_client())
    status = kube.get_node("node-a")
    assert status is not None and status.ready and not status.unschedulable
    assert status.instance_id == OLD and status.labels["eks.amazonaws.com/capacityType"] == "SPOT"
    assert kube.node_for_instance("i-0bbbbbbbbbbbbbbb2") == "node-b"
    assert kube.node_for_instance("i-0ffffffffffffffff") is None
    assert kube.get_node("node-z") is None


def test_cordon_is_idempotent_and_keeps_new_pods_away(web: KubeEmulator) -> None:
    kube = KubeApiAdapter(web.api_client())
    assert kube.cordon("node-b").unschedulable
    assert kube.cordon("node-b").unschedulable
    assert web.store.get_node("node-b")["spec"]["unschedulable"] is True
    with pytest.raises(KubeNotFoundError):
        kube.cordon("node-z")
    # Nothing can take an evicted pod now: its replacement waits unscheduled.
    kube.cordon("node-a")
    assert kube.evict("shop", "web-6d4f8-00000").result is EvictionResult.EVICTED
    pending = web.store.list_pods("shop", field_selector="spec.nodeName=")
    assert [p["status"]["phase"] for p in pending] == ["Pending"]


def test_pods_on_node_tell_what_a_drain_must_evict(web: KubeEmulator) -> None:
    pods = KubeApiAdapter(web.api_client()).pods_on_node("node-a")
    assert {p.name for p in pods if p.daemonset} == {"aws-node-a"}
    assert sorted(p.name for p in pods if p.needs_eviction) == [f"web-6d4f8-{i:05d}" for i in range(3)]
    assert all(p.node_name == "node-a" and p.ready for p in pods)


def test_budget_refuses_then_allows_once_replacements_are_ready(web: KubeEmulator, clock: FakeClock) -> None:
    kube = KubeApiAdapter(web.api_client())
    kube.cordon("node-a")
    assert kube.evict("shop", "web-6d4f8-00000").result is EvictionResult.EVICTED
    refused = kube.evict("shop", "web-6d4f8-00001")
    assert refused.result is EvictionResult.BLOCKED_BY_PDB
    assert refused.message == "The disruption budget web needs 2 healthy pods and has 2 currently"
    assert kube.pdbs()[0].disruptions_allowed == 0
    clock.advance(0.5)  # the replacement passes its readiness probe
    assert kube.pdbs()[0].disruptions_allowed == 1
    assert kube.evict("shop", "web-6d4f8-00001").result is EvictionResult.EVICTED
    clock.advance(0.5)
    assert kube.evict("shop", "web-6d4f8-00002").result is EvictionResult.EVICTED
    assert kube.evict("shop", "web-6d4f8-00002").result is EvictionResult.GONE
    replacements = [p for p in kube.pods_on_node("node-b") if p.owner_kind == "ReplicaSet"]
    assert len(replacements) == 3 and all(p.name.startswith("web-6d4f8-") for p in replacements)
    stats = web.stats()
    assert (stats.evictions_granted, stats.evictions_refused, stats.pods_recreated) == (3, 1, 3)
    assert stats.pdb_violations == 0


def test_a_booting_node_registers_not_ready_then_takes_pods(clock: FakeClock) -> None:
    document = cluster(
        node("node-a", OLD),
        pod("shop", "api-0", "node-a", {"app": "api"}, ("StatefulSet", "api"), cpu="3"),
        pod("kube-system", "aws-node-a", "node-a", {}, ("DaemonSet", "aws-node"), cpu="25m"),
    )
    with KubeEmulator(document, clock=clock) as emulator:
        kube = KubeApiAdapter(emulator.api_client())
        kube.cordon("node-a")
        assert kube.evict("shop", "api-0").result is EvictionResult.EVICTED
        emulator.register_node("node-c", NEW, "eu-west-1c", "m5.xlarge", ready_after_seconds=30)
        assert kube.node_for_instance(NEW) == "node-c"
        status = kube.get_node("node-c")
        assert status is not None and not status.ready
        assert status.labels["node.kubernetes.io/instance-type"] == "m5.xlarge"
        clock.advance(30)
        assert kube.get_node("node-c").ready  # type: ignore[union-attr]
        placed = {p.name: p for p in kube.pods_on_node("node-c")}
        # The StatefulSet keeps its pod's name; the DaemonSet stamps its pod on the new node.
        assert placed["api-0"].owner_kind == "StatefulSet" and not placed["api-0"].ready
        assert any(p.daemonset for p in placed.values())
        clock.advance(0.5)
        assert all(p.ready for p in kube.pods_on_node("node-c"))


def test_list_pages_are_followed(clock: FakeClock) -> None:
    many = [pod("batch", f"job-{i:04d}", "node-a", owner=None, cpu="0") for i in range(1203)]
    with KubeEmulator(cluster(node("node-a", OLD), *many), clock=clock) as emulator:
        assert len(KubeApiAdapter(emulator.api_client()).pods_on_node("node-a")) == 1203


def test_wrong_token_and_unreachable_server_are_typed_errors(clock: FakeClock) -> None:
    with KubeEmulator(web_cluster(), token="right", clock=clock) as emulator:
        with pytest.raises(KubeAuthError, match="401"):
            KubeApiAdapter(api_client(emulator.url, "wrong")).get_node("node-a")
        url = emulator.url
    with pytest.raises(KubeUnavailableError):
        KubeApiAdapter(api_client(url, "right"), request_timeout=(0.5, 0.5)).get_node("node-a")


def test_api_server_refusals_become_typed_errors(web: KubeEmulator) -> None:
    kube = KubeApiAdapter(web.api_client())
    web.fail("POST", r"/eviction$", 429, "Too many requests, please try again later.")
    with pytest.raises(KubeThrottledError) as throttled:
        kube.evict("shop", "web-6d4f8-00000")  # a 429 without a DisruptionBudget cause is throttling
    assert throttled.value.retryable
    web.fail("GET", r"/api/v1/nodes/", 503, times=2)
    for _ in range(2):
        with pytest.raises(KubeUnavailableError):
            kube.get_node("node-a")
    web.fail("PATCH", r"/api/v1/nodes/", 409, "the object has been modified")
    with pytest.raises(KubeConflictError, match="has been modified"):
        kube.cordon("node-a")
    assert kube.get_node("node-a") is not None  # faults are used up
    assert kube.evict("shop", "web-6d4f8-00000").result is EvictionResult.EVICTED


def test_two_budgets_over_one_pod_refuse_eviction(clock: FakeClock) -> None:
    document = web_cluster(2, max_unavailable=1)
    document["items"].append(pdb("shop", "web-too", {"app": "web"}, max_unavailable=1))
    with (
        KubeEmulator(document, clock=clock) as emulator,
        pytest.raises(KubeUnavailableError, match="more than one PodDisruptionBudget"),
    ):
        KubeApiAdapter(emulator.api_client()).evict("shop", "web-6d4f8-00000")


def _self_signed(folder: Path) -> tuple[Path, Path, str]:
    """A certificate for 127.0.0.1, its key, and the base64 PEM a registry item carries as ca_data."""
    made = self_signed(folder)
    return made.cert_file, made.key_file, made.ca_data


def test_tls_endpoint_is_trusted_through_the_registry_ca(tmp_path: Path, clock: FakeClock) -> None:
    cert_file, key_file, ca_data = _self_signed(tmp_path)
    with KubeEmulator(web_cluster(), token="t", clock=clock, certificate=(cert_file, key_file)) as emulator:
        assert emulator.url.startswith("https://")
        assert KubeApiAdapter(api_client(emulator.url, "t", ca_data)).node_for_instance(OLD) == "node-a"
        with pytest.raises(KubeTlsError):  # the system trust store does not know this CA
            KubeApiAdapter(api_client(emulator.url, "t"), request_timeout=(1, 1)).get_node("node-a")


@mock_aws
def test_connect_with_an_eks_token_from_the_customer_role(clock: FakeClock, tmp_path: Path) -> None:
    sts = boto3.client("sts", region_name="eu-west-1")
    cert, key, ca_data = _self_signed(tmp_path)
    with KubeEmulator(web_cluster(), accept_eks_tokens=True, clock=clock, certificate=(cert, key)) as emulator:
        access = ClusterAccess.model_validate(
            {"cluster": "prod", "endpoint": emulator.url, "ca_data": ca_data, "credentials": {"kind": "eks"}}
        )
        assert connect(access, sts_client=sts).node_for_instance(OLD) == "node-a"
        with pytest.raises(KubeAuthError):
            KubeApiAdapter(api_client(emulator.url, "k8s-aws-v1.bm90LWEtdXJs", ca_data)).get_node("node-a")


@mock_aws
def test_connect_with_a_token_from_secrets_manager(clock: FakeClock, tmp_path: Path) -> None:
    secrets = boto3.client("secretsmanager", region_name="eu-west-1")
    arn = secrets.create_secret(Name="acme/prod/kube", SecretString="sa-token")["ARN"]
    cert, key, ca_data = _self_signed(tmp_path)
    with KubeEmulator(web_cluster(), token="sa-token", clock=clock, certificate=(cert, key)) as emulator:
        access = ClusterAccess.model_validate(
            {"cluster": "prod", "endpoint": emulator.url, "ca_data": ca_data,
             "credentials": {"kind": "secret", "secret_arn": arn}}
        )  # fmt: skip
        kube = connect(access, secrets_client=secrets)
        assert kube.node_for_instance(OLD) == "node-a"
        assert [b.name for b in kube.pdbs()] == ["web"]


def test_shipped_seed_cluster_looks_like_eks() -> None:
    document = load_seed()
    assert SEED_CLUSTER.stat().st_size < 300_000
    nodes = [i for i in document["items"] if i["kind"] == "Node"]
    assert 20 <= len(nodes) <= 40
    for item in nodes:
        labels = item["metadata"]["labels"]
        assert labels["topology.kubernetes.io/zone"].startswith("eu-west-1")
        assert labels["eks.amazonaws.com/capacityType"] in ("SPOT", "ON_DEMAND")
        assert labels["eks.amazonaws.com/nodegroup"] and labels["node.kubernetes.io/instance-type"]
        assert re.fullmatch(r"aws:///eu-west-1[abc]/i-[0-9a-f]{17}", item["spec"]["providerID"])
    budgets = [i["spec"] for i in document["items"] if i["kind"] == "PodDisruptionBudget"]
    assert any("minAvailable" in b for b in budgets) and any("maxUnavailable" in b for b in budgets)


def test_draining_a_seed_spot_node_onto_its_replacement(clock: FakeClock) -> None:
    with KubeEmulator(SEED_CLUSTER, clock=clock) as emulator:
        kube = KubeApiAdapter(emulator.api_client())
        spot = emulator.store.list_nodes("eks.amazonaws.com/capacityType=SPOT")
        victim = max(spot, key=lambda n: len(kube.pods_on_node(n["metadata"]["name"])))
        name, labels = victim["metadata"]["name"], victim["metadata"]["labels"]
        emulator.register_node(
            "ip-10-0-99-99.eu-west-1.compute.internal",
            NEW,
            labels["topology.kubernetes.io/zone"],
            labels["node.kubernetes.io/instance-type"],
            labels={k: v for k, v in labels.items() if k.startswith("eks.amazonaws.com/")},
            ready_after_seconds=5,
        )
        clock.advance(5)
        kube.cordon(name)
        for _ in range(20):  # drain rounds, as the evict_pods step runs them
            waiting = [p for p in kube.pods_on_node(name) if p.needs_eviction]
            if not waiting:
                break
            for pod in waiting:
                kube.evict(pod.namespace, pod.name)
            clock.advance(1)
        assert all(p.daemonset for p in kube.pods_on_node(name))
        assert emulator.store.list_pods(field_selector="spec.nodeName=") == []  # every replacement found room
        assert emulator.stats().pdb_violations == 0
        assert all(b.current_healthy >= b.desired_healthy for b in kube.pdbs())


@pytest.mark.parametrize("endpoint", ["http://prod.eks.example", "prod.eks.example", "https://"])
def test_a_cluster_endpoint_that_is_not_https_is_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match="must be an https URL"):
        ClusterAccess.model_validate({"cluster": "prod", "endpoint": endpoint, "credentials": {"kind": "eks"}})


def test_the_connector_refuses_a_registered_http_endpoint_before_any_token_is_made() -> None:
    sessions = StsSessions(FakeExternalIds(), sts_client=object())  # never called: refused before
    cluster = ClusterRecord("acme", "prod", "http://10.0.0.1", "", {"kind": "eks"})
    with pytest.raises(KubeTlsError, match="https"):
        ClusterConnector(sessions).connect(TenantRecord("acme", "111122223333", "arn:x", ("eu-west-1",)), cluster, "r")
