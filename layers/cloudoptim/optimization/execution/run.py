"""One execution's context for a step: its documents, the tenant's cluster reached lazily, the audit trail.

The state the state machine carries is a small dict (ids, the plan as validated, what was launched, counters);
the documents are the record people read: the execution's `steps` and the recommendation's status and outcome.
"""

from __future__ import annotations

from typing import Any

from cloudoptim.audit.log import AuditEntry
from cloudoptim.errors import ConflictError, PreconditionFailedError, RecordNotFoundError
from cloudoptim.interruptions.ports import ClusterRecord, TenantRecord
from cloudoptim.optimization.execution.ports import ExecutionDeps, ExecutionKube, NodeFleet, NodePrices
from cloudoptim.optimization.records import Recommendation

State = dict[str, Any]
EXECUTION, RECOMMENDATION, POLICY = "execution", "recommendation", "policy"
RACES = 5


class Run:
    def __init__(self, deps: ExecutionDeps, state: State, now: int) -> None:
        self.deps, self.state, self.now = deps, state, now
        self.tenant, self.cluster = str(state["tenant_id"]), str(state["cluster"])
        self.execution_id, self.recommendation_id = str(state["execution_id"]), str(state["recommendation_id"])
        self.dry_run = bool(state.get("dry_run"))
        self._kube: ExecutionKube | None = None
        self._fleet: NodeFleet | None = None
        self._records: tuple[TenantRecord, ClusterRecord] | None = None

    @property
    def actor(self) -> str:
        return f"cloudoptim:execution:{self.execution_id}"

    def recommendation(self) -> Recommendation:
        found = self.deps.documents.get(self.tenant, RECOMMENDATION, self.recommendation_id)
        if found is None:
            raise RecordNotFoundError(f"recommendation {self.recommendation_id} not found")
        return Recommendation.model_validate(found.body)

    def records(self) -> tuple[TenantRecord, ClusterRecord]:
        if self._records is None:
            cluster = self.deps.registry.cluster(self.tenant, self.cluster)
            self._records = (cluster.owner(self.deps.registry.tenant(self.tenant)), cluster)
        return self._records

    @property
    def region(self) -> str:
        return str(self.state.get("region") or "")

    @property
    def kube(self) -> ExecutionKube:
        if self._kube is None:
            tenant, cluster = self.records()
            self._kube = self.deps.kube.execution(tenant, cluster, self.region)
        return self._kube

    @property
    def fleet(self) -> NodeFleet:
        if self._fleet is None:
            self._fleet = self.deps.fleet.fleet(self.records()[0], self.region)
        return self._fleet

    def prices(self) -> NodePrices:
        return self.deps.prices(self.region)

    def guard_share(self) -> float:
        found = self.deps.documents.get(self.tenant, POLICY, self.cluster)
        guard = dict((found.body if found else {}).get("savings_guard") or {})
        return float(guard.get("min_realised_share", 0.5))

    def audit(self, step: str, target: str, before: Any, after: Any, reasons: list[str], outcome: str = "ok") -> None:
        """One entry per step and target; the action id makes a retried step's entry the same entry."""
        self.deps.audit.record(AuditEntry(
            self.tenant, f"{self.execution_id}#{step}#{target}", self.actor, self.now, f"execution.{step}",
            {"cluster": self.cluster, "execution": self.execution_id, "recommendation": self.recommendation_id,
             "object": target}, before, after, "dry-run" if self.dry_run and outcome == "ok" else outcome,
            tuple(reasons), self.dry_run,
        ))  # fmt: skip

    def note(self, step: str, said: list[str], **execution: Any) -> None:
        """Append the step to the execution's record (a retried step replaces its own line), set fields on it."""
        line = {"step": step, "at": self.now, "reasons": said, "dry_run": self.dry_run}

        def change(body: dict[str, Any]) -> dict[str, Any]:
            steps = [s for s in body.get("steps") or [] if s.get("step") != step]
            return {**body, **execution, "steps": [*steps, line]}

        self._update(EXECUTION, self.execution_id, change)

    def set_recommendation(self, **changes: Any) -> None:
        self._update(RECOMMENDATION, self.recommendation_id, lambda body: {**body, **changes})

    def _update(self, kind: str, id: str, change: Any) -> None:
        for _ in range(RACES):
            current = self.deps.documents.get(self.tenant, kind, id)
            if current is None:
                raise RecordNotFoundError(f"{kind} {id} not found")
            try:
                self.deps.documents.replace(self.tenant, kind, id, change(dict(current.body)), current.version,
                                            self.now)  # fmt: skip
                return
            except (ConflictError, PreconditionFailedError):
                continue
        raise ConflictError(f"{kind} {id}: {RACES} writers in a row moved it on")
