"""`cloudoptim local hibernate-drill` as a user runs it (its own process: its stack's moto patches stay there):
the emulated cluster sleeps and wakes through the deployed stack and comes back exactly, with every pod placed."""

from __future__ import annotations

import json
import subprocess
import sys

REPORT_KEYS = {
    "workloads_scaled_down", "cronjobs_suspended", "hpas", "nodes_before", "nodes_asleep", "nodes_after_wake",
    "restore_mismatches", "pods_pending_after_wake", "audit_records",
}  # fmt: skip


def test_hibernate_drill_sleeps_and_wakes_the_cluster_exactly() -> None:
    command = [sys.executable, "-m", "cli.main", "local", "hibernate-drill", "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert set(report) == REPORT_KEYS
    # 23 Deployments and StatefulSets: kube-system's coredns is excluded and one is Argo CD-managed (reported)
    assert report["workloads_scaled_down"] == 21 and report["cronjobs_suspended"] == 1 and report["hpas"] == 1
    assert report["nodes_before"] == report["nodes_after_wake"] == 24 and report["nodes_asleep"] == 0
    assert report["restore_mismatches"] == 0 and report["pods_pending_after_wake"] == 0
    assert report["audit_records"] == 4  # schedule set, sleep, manual wake-up, wake
