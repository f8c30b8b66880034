"""AWS reclaims an interrupted Spot instance two minutes after the warning, and its Node leaves the cluster.

Locally time is compressed: once a notice's workflow has ended (`record_outcome` returned), the instance is
terminated in the emulated EC2 and its Node deleted from the Kubernetes emulator. Without this a long drill
would grow the cluster by one node per notice and every list, schedule and describe would slow down with it.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from localmode.lambda_runner import Invocation


@dataclass
class Reclaimer:
    """`start()` subscribes to the invocation journal, `stop()` unsubscribes; `reclaimed` counts instances."""

    aws: Any  # LocalAws
    kube: Any  # KubeEmulator
    reclaimed: int = 0
    errors: list[str] = field(default_factory=list)
    _pending: queue.Queue[tuple[str, str] | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self.aws.journal.listeners.append(self._heard)
        self._thread = threading.Thread(target=self._run, name="spot-reclaimer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._heard in self.aws.journal.listeners:
            self.aws.journal.listeners.remove(self._heard)
        self._pending.put(None)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _heard(self, record: Invocation) -> None:
        if record.function != "record_outcome" or record.errored or not isinstance(record.event, dict):
            return
        instance_id, node_name = record.event.get("instance_id"), record.event.get("node_name")
        if instance_id and node_name:
            self._pending.put((str(instance_id), str(node_name)))

    def _run(self) -> None:
        ec2 = self.aws.client("ec2")
        while (item := self._pending.get()) is not None:
            instance_id, node_name = item
            try:
                ec2.terminate_instances(InstanceIds=[instance_id])
                self.kube.store.delete_node(node_name)
                self.reclaimed += 1
            except Exception as exc:  # a node already gone is not a drill failure
                self.errors.append(f"{instance_id}/{node_name}: {exc}")
