"""`cloudoptim local escalation-drill` as a user runs it (its own process): one Spot pool interrupted for three
tenants in turn escalates NORMAL -> UNCERTAIN -> CONFIRMED_RISKY; the hand-over event reaches rebalance_pool, which
replaces then drains the fourth tenant's nodes in that pool only and writes the fifth (recommend) a recommendation;
a duplicate escalation starts nothing more."""

from __future__ import annotations

import json
import subprocess
import sys


def test_escalation_drill_rebalances_the_fourth_tenant_and_recommends_to_the_fifth() -> None:
    command = [sys.executable, "-m", "cli.main", "local", "escalation-drill", "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["levels"] == ["NORMAL", "UNCERTAIN", "CONFIRMED_RISKY"]
    nodes = report["fourth_tenant_nodes_in_pool"]
    assert nodes >= 1
    # one replace-then-drain per node of the fourth tenant in the pool, none for anyone or anything else
    assert report["proactive_executions"] == nodes
    assert report["proactive_for_interrupted_tenants"] == 0 and report["proactive_for_recommend_tenant"] == 0
    assert report["proactive_outside_the_fourth_tenants_pool_nodes"] == 0
    assert report["proactive_succeeded"] == nodes and report["fourth_tenant_pool_nodes_drained"] == nodes
    assert report["recommendations"] == 1 and report["recommendations_by_tenant"]["hive-e"] == 1
    assert report["duplicate_escalation_new_executions"] == 0
