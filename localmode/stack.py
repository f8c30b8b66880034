"""The whole product on one machine: local AWS, the deployed SaaS stack, the Kubernetes emulator and one
tenant whose cluster is the emulator. `LocalStack(settings).start()` ... `.stop()`.

The template is synthesized by the CDK app (`cdk.synth`), so local mode runs the same stack as AWS.
Replacement nodes join the cluster through the kubelet bridge and are written to the registry, standing in
for the discovery sweep that registers a cluster's new instances in AWS.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localmode.aws import LocalAws
from localmode.cluster_seed import SeedNode, with_oom_kill
from localmode.deploy import DeployedStack, deploy
from localmode.kubelet import KubeletBridge, LaunchedNode
from localmode.models import activate_shipped_model
from localmode.node_groups import NodeGroupController
from localmode.node_groups import install as install_node_groups
from localmode.pricing import PricingStandIn, install_spot_history, publish_advisor
from localmode.sqs_poller import SqsPoller
from localmode.tenant import LocalTenant, prepare_tenant, register_tenant
from localmode.tls import Certificate, self_signed
from localmode.ttl import TtlSweeper

REPLACES_TAG = "cloudoptim:replaces"
NODE_GROUP_TAG = "eks:nodegroup-name"
TemplateSource = Callable[..., Mapping[str, Any]]


REPO_ROOT = Path(__file__).resolve().parents[1]


def synthesized_template(endpoint_url: str, wait_seconds: int, pricing_url: str | None = None) -> Mapping[str, Any]:
    """The SaaS template from the CDK app, offline (imports aws_cdk: starts node, ~5-15 s)."""
    if importlib.util.find_spec("cdk") is None and (REPO_ROOT / "cdk" / "synth.py").is_file():
        # The CDK app is not an installed package: from any working directory, use the repository's.
        sys.path.insert(0, str(REPO_ROOT))
    from cdk.synth import synth_saas_template

    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # node 20's banner on stderr

    context: dict[str, Any] = {
        "local_endpoint_url": endpoint_url,
        "wait_seconds": wait_seconds,
        "hibernate_wait_seconds": wait_seconds,
        "execute_wait_seconds": wait_seconds,
    }
    if pricing_url:
        context["local_pricing_endpoint_url"] = pricing_url
    return synth_saas_template(bundle=False, context=context)


@dataclass(frozen=True)
class LocalSettings:
    region: str = "eu-west-1"
    tenant_id: str = "local"
    cluster: str = "local"
    wait_seconds: int = 1
    node_boot_seconds: float = 0.2
    node_ready_seconds: float = 0.5
    pod_ready_seconds: float = 0.5
    poller_threads: int = 8
    log_level: str = "WARNING"
    metrics: bool = True
    # Auto Scaling groups behind the node groups, which consolidation removes nodes from (`local sweep`, `local up`);
    # off elsewhere: the hibernation stand-in resizes instances itself and does not know about them yet.
    auto_scaling_groups: bool = False


@dataclass
class LiveNodes:
    """The cluster's instances as the registry knows them: seeded nodes plus replacements that joined."""

    nodes: dict[str, SeedNode] = field(default_factory=dict)
    replacements: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _joined: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._joined = threading.Condition(self._lock)

    def add(self, instance_id: str, node: SeedNode, replacement: bool) -> None:
        with self._joined:
            self.nodes[instance_id] = node
            self.replacements += int(replacement)
            self._joined.notify_all()

    def snapshot(self) -> dict[str, SeedNode]:
        with self._lock:
            return dict(self.nodes)

    def wait_for_change(self, timeout: float) -> None:
        with self._joined:
            self._joined.wait(timeout)


@dataclass
class LocalStack:
    settings: LocalSettings = field(default_factory=LocalSettings)
    seed: Mapping[str, Any] | None = None
    template_source: TemplateSource = synthesized_template
    aws: LocalAws = field(init=False)
    kube: Any = None
    deployed: DeployedStack | None = None
    tenant: LocalTenant | None = None
    live: LiveNodes = field(default_factory=LiveNodes)
    bridge: KubeletBridge | None = None
    pollers: list[SqsPoller] = field(default_factory=list)
    sweeper: TtlSweeper | None = None
    node_groups: NodeGroupController | None = None
    pricing: PricingStandIn | None = None
    _undo: list[Callable[[], None]] = field(default_factory=list)
    certificate: Certificate | None = None
    model_id: str = "heuristic"  # the registry's active model once started

    def __post_init__(self) -> None:
        extra = {} if self.settings.metrics else {"POWERTOOLS_METRICS_DISABLED": "true"}
        self.aws = LocalAws(region=self.settings.region, log_level=self.settings.log_level, extra_env=extra)

    def start(self) -> dict[str, str]:
        """Start everything; returns the endpoints and names a user needs."""
        from localmode.kube_emulator import KubeEmulator, load_seed

        endpoint = self.aws.start()
        self.pricing = PricingStandIn()
        pricing_url = self.pricing.start()
        self._undo.append(install_spot_history())
        self.deployed = deploy(
            self.aws, self.template_source(endpoint, self.settings.wait_seconds, pricing_url=pricing_url)
        )
        publish_advisor(self.aws)
        self.model_id = activate_shipped_model(self.aws, self.deployed, int(time.time()))
        seed = self.seed if self.seed is not None else with_oom_kill(load_seed())
        self.tenant = prepare_tenant(self.aws, seed, self.settings.tenant_id, self.settings.cluster)
        # https like every real cluster: endpoints must be (ClusterAccess), and the client pins this CA
        self.certificate = self_signed(Path(tempfile.mkdtemp(prefix="cloudoptim-kube-tls-")))
        certificate = (self.certificate.cert_file, self.certificate.key_file)
        self.kube = KubeEmulator(
            self.tenant.seed, pod_ready_seconds=self.settings.pod_ready_seconds, certificate=certificate
        )
        kube_url = self.kube.start()
        registry, bus = self.deployed.tables["REGISTRY_TABLE"], self.deployed.event_bus_name
        register_tenant(self.aws, registry, bus, self.tenant, kube_url, self.certificate.ca_data)
        self.node_groups = NodeGroupController(
            self.aws, self.tenant, self.kube, auto_scaling_groups=self.settings.auto_scaling_groups
        )
        self.node_groups.create()
        self._undo.append(install_node_groups(self.node_groups))
        for instance_id, node in self.tenant.instances.items():
            self.live.add(instance_id, node, replacement=False)
        self._start_bridge()
        self._start_background()
        return self.endpoints()

    def endpoints(self) -> dict[str, str]:
        assert self.deployed is not None and self.kube is not None
        return {
            "aws_endpoint_url": self.aws.endpoint_url,
            "kubernetes_api": str(self.kube.url),
            "event_bus": self.deployed.event_bus_name,
            "state_machine_arn": self.deployed.state_machine_arn,
            "interruption_queue": self.deployed.queue_url,
            "dead_letter_queue": self.deployed.dlq_url,
            "active_model": self.model_id,
            **{f"table_{k.lower()}": v for k, v in self.deployed.tables.items()},
        }

    def queue_empty(self, queue_url: str | None = None) -> bool:
        """No message waiting or in flight on the queue (default: the interruption queue)."""
        assert self.deployed is not None
        attributes = self.aws.client("sqs").get_queue_attributes(
            QueueUrl=queue_url or self.deployed.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return all(int(v) == 0 for v in attributes.values())

    def drain_executions(self) -> list[dict[str, Any]]:
        """Every DrainAndReplace execution, all pages."""
        assert self.deployed is not None
        pages = self.aws.client("stepfunctions").get_paginator("list_executions")
        return [e for page in pages.paginate(stateMachineArn=self.deployed.state_machine_arn)
                for e in page["executions"]]  # fmt: skip

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        self.pollers.clear()
        if self.sweeper is not None:
            self.sweeper.stop()
        if self.bridge is not None:
            self.bridge.restore()
        while self._undo:
            self._undo.pop()()
        if self.pricing is not None:
            self.pricing.stop()
        if self.kube is not None:
            self.kube.stop()
        if self.certificate is not None:
            shutil.rmtree(self.certificate.cert_file.parent, ignore_errors=True)
        self.aws.stop()

    def _start_bridge(self) -> None:
        self.bridge = KubeletBridge(
            self.kube,
            labeller=self._labels,
            boot_seconds=self.settings.node_boot_seconds,
            ready_after_seconds=self.settings.node_ready_seconds,
        )
        self.bridge.listeners.append(self._discovered)
        self.bridge.install()

    def _start_background(self) -> None:
        assert self.deployed is not None
        for mapping in self.deployed.mappings:
            poller = SqsPoller(self.aws, mapping, threads=self.settings.poller_threads)
            poller.start()
            self.pollers.append(poller)
        ttl_tables = [
            self.deployed.tables[k] for k in ("HIVE_MIND_TABLE", "IDEMPOTENCY_TABLE") if k in self.deployed.tables
        ]
        self.sweeper = TtlSweeper(self.aws.client("dynamodb"), ttl_tables)
        self.sweeper.start()

    def _group_of(self, node: LaunchedNode) -> SeedNode | None:
        replaced = node.tags.get(REPLACES_TAG)
        return self.live.snapshot().get(replaced) if replaced else None

    def _group_name(self, node: LaunchedNode) -> str:
        previous = self._group_of(node)
        return previous.node_group if previous else node.tags.get(NODE_GROUP_TAG, "default")

    def _labels(self, node: LaunchedNode) -> dict[str, str]:
        return {
            "eks.amazonaws.com/nodegroup": self._group_name(node),
            "eks.amazonaws.com/capacityType": "SPOT" if node.capacity_type == "spot" else "ON_DEMAND",
        }

    def _discovered(self, node: LaunchedNode) -> None:
        """A joined instance CloudOptim launched becomes a drill target: its `INSTANCE#<id>` item was written by the
        launch (LaunchReplacement, or an Execute workflow's launch step). One an Auto Scaling group launched is known
        to the registry only after the next discovery, so a notice for it would rightly start nothing yet."""
        if REPLACES_TAG not in node.tags:
            return
        joined = SeedNode(node.node_name, node.zone, node.instance_type, node.capacity_type, self._group_name(node))
        self.live.add(node.instance_id, joined, replacement=True)
