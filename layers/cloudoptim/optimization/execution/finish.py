"""How an execution ends: its status and reasons on the execution, its outcome on the recommendation."""

from __future__ import annotations

from cloudoptim.optimization.execution.run import Run, State

# execution status -> the recommendation's
RECOMMENDATION_STATUS = {"succeeded": "succeeded", "failed": "failed", "rolled_back": "rolled_back",
                         "replanned": "superseded", "skipped": "needs_gitops"}  # fmt: skip


def finish(run: Run, step: str, status: str, reasons: list[str], **fields: object) -> State:
    run.note(step, reasons, status=status, finished_at=run.now, reasons=reasons, **fields)
    if status in ("succeeded", "failed", "rolled_back"):
        realised = fields.get("realised_savings_per_hour")
        run.set_recommendation(status=RECOMMENDATION_STATUS[status], outcome=reasons,
                               realised_savings_per_hour=realised)  # fmt: skip
    return {**run.state, "route": "failed" if status == "failed" else "done", "status": status}


def fail(run: Run, step: str, reasons: list[str]) -> State:
    run.audit(step, run.recommendation_id, None, {"status": "failed"}, reasons, outcome="failed")
    return finish(run, step, "failed", reasons)
