"""The optimize sweep end to end on the local stack: a history sampled from the emulator's `metrics.k8s.io`, the
Sweep state machine in moto running the deployed `sweep_step`, recommendations stored and readable through the
API's use cases; nothing approved, so nothing moves."""

from __future__ import annotations

import pytest

from cloudoptim.optimization.records import Recommendation
from localmode.stack import LocalStack
from localmode.sweep_drill import SweepDrill


def test_a_sweep_recommends_with_savings_and_changes_nothing_unapproved(local_stack: LocalStack) -> None:
    drill = SweepDrill(local_stack, approve="none", hours=100)
    report = drill.run()
    assert report["usage_hours"] >= 100
    assert report["recommendations"] > 0 and report["projected_savings_per_hour"] > 0
    assert report["projected_savings_per_hour"] <= report["cost_before_per_hour"]
    assert sum(1 for n in report["by_kind"].values() if n) >= 2
    assert report["approved"] == 0 and report["cost_after_per_hour"] == report["cost_before_per_hour"]
    # the stack is shared with the other e2e tests (drills may leave a pod pending): nothing new is unschedulable
    assert report["pdb_violations"] == 0
    assert report["pods_unschedulable_after"] <= report["pods_unschedulable_before"]
    docs = drill.deps().optimization.documents
    sweep = docs.get(report["tenant"], "sweep", report["sweep"])
    assert sweep is not None and sweep.body["status"] == "planned"
    found = [docs.get(report["tenant"], "recommendation", id) for id in sweep.body["recommendations"]]
    made = [Recommendation.model_validate(d.body) for d in found if d is not None]
    assert len(made) == len(found)
    assert sum(r.projected_savings_per_hour for r in made) == pytest.approx(
        report["projected_savings_per_hour"], abs=1e-3
    )
