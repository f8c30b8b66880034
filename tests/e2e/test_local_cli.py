"""`cloudoptim local drill` as a user runs it: its own process, the report alone on stdout."""

from __future__ import annotations

import json
import subprocess
import sys

REPORT_KEYS = {
    "events_sent",
    "duplicates_sent",
    "executions_started",
    "executions_succeeded",
    "pods_evicted",
    "pdb_violations",
    "replacements_launched",
    "hive_mind_flags",
    "dlq_messages",
    "latency_ms",
}
LATENCY_KEYS = {"ingest_to_start_p50", "ingest_to_start_p99", "event_to_drained_p50", "event_to_drained_p99"}


def test_drill_command_prints_only_the_report() -> None:
    command = [sys.executable, "-m", "cli.main", "local", "drill", "--events", "6", "--duplicates", "0.2"]
    done = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, timeout=240, check=False)

    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)  # the functions' logs went to stderr
    assert set(report) >= REPORT_KEYS and set(report["latency_ms"]) >= LATENCY_KEYS
    assert report["events_sent"] == 6 and report["duplicates_sent"] == 1
    assert report["executions_started"] == report["executions_succeeded"] == 5
    assert report["pdb_violations"] == 0 and report["dlq_messages"] == 0
