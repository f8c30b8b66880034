"""The kubelet bridge: an instance launched in the emulated EC2 boots and registers its Node.

moto's RunInstances is wrapped in-process (the bridge sees every launch at once, without polling
DescribeInstances); after `boot_seconds` the node registers NotReady in the Kubernetes emulator, which
turns it Ready `ready_after_seconds` later, as an EKS node does once its CNI is up. Listeners (the
registry's discovery stand-in, the drill's pool of live nodes) hear of each registered node.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from moto.ec2.models.instances import InstanceBackend


class NodeRegistrar(Protocol):
    def register_node(self, name: str, instance_id: str, zone: str, instance_type: str, **options: Any) -> Any: ...


@dataclass(frozen=True)
class LaunchedNode:
    instance_id: str
    node_name: str
    zone: str
    instance_type: str
    capacity_type: str
    tags: dict[str, str]


def launched_node(instance: Any) -> LaunchedNode:
    """What the kubelet of a moto instance knows about itself (EKS names nodes by private DNS)."""
    tags = {str(t["key"]): str(t["value"]) for t in instance.get_tags()}
    return LaunchedNode(
        instance_id=str(instance.id),
        node_name=str(instance.private_dns_name),
        zone=str(instance.availability_zone),
        instance_type=str(instance.instance_type),
        capacity_type="spot" if instance.lifecycle == "spot" else "on-demand",
        tags=tags,
    )


Labeller = Callable[[LaunchedNode], dict[str, str]]
Listener = Callable[[LaunchedNode], None]


@dataclass
class KubeletBridge:
    """`install()` wraps RunInstances; `restore()` unwraps it. `registered` counts the nodes that joined."""

    kube: NodeRegistrar
    labeller: Labeller = lambda node: {}
    boot_seconds: float = 0.2
    ready_after_seconds: float = 0.5
    listeners: list[Listener] = field(default_factory=list)
    registered: int = 0
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _original: Any = None

    def install(self) -> None:
        if self._original is not None:
            return
        original = self._original = InstanceBackend.run_instances
        bridge = self

        def run_instances(backend: Any, *args: Any, **kwargs: Any) -> Any:
            reservation = original(backend, *args, **kwargs)
            for instance in reservation.instances:
                timer = threading.Timer(bridge.boot_seconds, bridge.boot, args=(launched_node(instance),))
                timer.daemon = True
                timer.start()
            return reservation

        InstanceBackend.run_instances = run_instances  # type: ignore[method-assign,assignment]

    def restore(self) -> None:
        if self._original is not None:
            InstanceBackend.run_instances = self._original  # type: ignore[method-assign]
            self._original = None

    def boot(self, node: LaunchedNode) -> None:
        try:
            self.kube.register_node(
                node.node_name,
                node.instance_id,
                node.zone,
                node.instance_type,
                labels=self.labeller(node),
                ready_after_seconds=self.ready_after_seconds,
            )
        except Exception as exc:
            with self._lock:
                self.errors.append(f"{node.instance_id}: {exc}")
            return
        with self._lock:
            self.registered += 1
        for listener in self.listeners:
            listener(node)
