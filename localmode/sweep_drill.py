"""`cloudoptim local sweep`: discovery, the optimize sweep, approval, execution and re-discovery on the local stack.

On a started `LocalStack` (tenant `demo`): the emulator's `metrics.k8s.io` serves the Bitbrains-derived usage
(localmode/data/local-usage.json) on a usage clock this drill moves an hour at a time, so `hours` of history are
sampled in seconds by the same use case the 15-minute schedule runs (with the sampled hour as its `now`). Then the
sweep starts as `POST /v1/clusters/{id}/sweeps` starts it (the Sweep state machine in moto runs `sweep_step`), the
recommendations are approved or not (`--approve`), their executions are awaited, and the cluster is discovered
again: cost before and after come from the two snapshots priced alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from cloudoptim.adapters.aws.stepfunctions import _name
from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.kube.cluster import loaded
from cloudoptim.adapters.kube.documents import objects_of
from cloudoptim.optimization import recommendations, sweeps
from cloudoptim.optimization.discover import discover, sample_usage
from cloudoptim.optimization.records import Recommendation, Sweep
from cloudoptim.optimization.sweep_steps import SweepDeps
from cloudoptim.settings import SweepStepSettings
from cloudoptim.tenancy.principal import Principal, Role
from cloudoptim.wiring.sweep import sweep_deps
from localmode.hibernate_drill import pods_pending
from localmode.kube_emulator.metrics import UsageModel
from localmode.stack import LocalStack

HOUR = 3600
KINDS = ("consolidation", "node_rightsizing", "workload_rightsizing", "spot", "oom")


class SweepDrillError(RuntimeError):
    pass


@dataclass
class SweepDrill:
    stack: LocalStack
    approve: Literal["all", "none"] = "none"
    hours: int = 120
    timeout_seconds: float = 300.0
    clock: Callable[[], float] = time.time

    def deps(self) -> SweepDeps:
        assert self.stack.deployed is not None
        env = {**self.stack.deployed.function_env["sweep_step"], "AWS_REGION": self.stack.aws.region}
        return sweep_deps(SweepStepSettings.from_env(env))

    def sample(self, deps: SweepDeps, tenant: str, cluster: str) -> int:
        """`hours` hourly samples ending an hour ago, on the emulator's usage clock."""
        start = int(self.clock()) // HOUR * HOUR - self.hours * HOUR
        at = [float(start)]
        self.stack.kube.store.usage = UsageModel.shipped(clock=lambda: at[0])
        hours = 0
        for hour in range(self.hours):
            at[0] = start + hour * HOUR + 60
            hours = sample_usage(deps.discovery, tenant, cluster, int(at[0]))
        self.stack.kube.store.usage = UsageModel.shipped()  # back to the wall clock for the sweep's own sample
        return hours

    def wait(self, machine_arn: str, name: str) -> str:
        sfn = self.stack.aws.client("stepfunctions")
        arn = f"{machine_arn.replace(':stateMachine:', ':execution:')}:{_name(name)}"
        deadline = self.clock() + self.timeout_seconds
        while self.clock() < deadline:
            status = str(sfn.describe_execution(executionArn=arn)["status"])
            if status != "RUNNING":
                return status
            time.sleep(0.2)
        raise SweepDrillError(f"execution {name} still running after {self.timeout_seconds} s")

    def cost(self, deps: SweepDeps, tenant: str, cluster: str, run: str) -> float:
        document = deps.discovery.snapshots.get_snapshot(tenant, cluster, run)
        state = loaded(objects_of([document], run), load_day_zero(), self.stack.aws.region, True, run).state
        return round(sum(n.price_per_hour or 0.0 for n in state.nodes), 4)

    def run(self) -> dict[str, Any]:
        stack = self.stack
        assert stack.tenant is not None and stack.deployed is not None
        tenant, cluster = stack.tenant.tenant_id, stack.tenant.cluster
        deps = self.deps()
        docs = deps.optimization.documents
        usage_hours = self.sample(deps, tenant, cluster)
        before_run = discover(deps.discovery, tenant, cluster, int(self.clock())).run
        violations_before, pending_before = stack.kube.stats().pdb_violations, pods_pending(stack)
        started = sweeps.start(deps.optimization, tenant, cluster, "local-sweep", int(self.clock()))
        machine = str(stack.deployed.tables["SWEEP_STATE_MACHINE_ARN"])
        status = self.wait(machine, started.id)
        found = docs.get(tenant, "sweep", started.id)
        sweep = Sweep.model_validate(found.body if found else {})
        if status != "SUCCEEDED":
            raise SweepDrillError(f"sweep {started.id} ended {status}: {'; '.join(sweep.reasons)[:500]}")
        made = [Recommendation.model_validate(d.body) for id in sweep.recommendations
                if (d := docs.get(tenant, "recommendation", id)) is not None]  # fmt: skip
        by_kind = {kind: sum(1 for r in made if r.kind == kind) for kind in KINDS}
        approved, succeeded, failed, why = self._execute(deps, tenant, sweep)
        after_run = discover(deps.discovery, tenant, cluster, int(self.clock()) + 1).run
        before, after = self.cost(deps, tenant, cluster, before_run), self.cost(deps, tenant, cluster, after_run)
        return {
            "tenant": tenant, "cluster": cluster, "sweep": started.id, "usage_hours": usage_hours,
            "recommendations": len(made), "by_kind": by_kind, "approved": approved,
            "executions_succeeded": succeeded, "executions_failed": failed, "failures": why[:10],
            "projected_savings_per_hour": round(sweep.projected_savings_per_hour or 0.0, 4),
            "projected_savings_approved_per_hour": round(sum(
                r.projected_savings_per_hour for r in made if self.approve == "all"), 4),
            "realised_savings_per_hour": round(before - after, 4),
            "cost_before_per_hour": before, "cost_after_per_hour": after,
            "pdb_violations": stack.kube.stats().pdb_violations - violations_before,
            "pods_unschedulable_before": pending_before, "pods_unschedulable_after": pods_pending(stack),
        }  # fmt: skip

    def _execute(self, deps: SweepDeps, tenant: str, sweep: Sweep) -> tuple[int, int, int, list[str]]:
        if self.approve == "none":
            return 0, 0, 0, []
        operator = Principal(tenant, "local-sweep", "local sweep", Role.OPERATOR)
        machine = self.stack.deployed.tables.get("EXECUTION_STATE_MACHINE_ARN") if self.stack.deployed else None
        approved = succeeded = failed = 0
        why: list[str] = []
        for id in _in_order(deps, tenant, sweep.recommendations):
            try:
                started = recommendations.approve(deps.optimization, operator, id, None, int(self.clock()))
            except Exception:
                continue
            approved += 1
            execution = started.body.get("execution_id")
            if not machine or not execution:
                failed += 1
                continue
            try:
                status = self.wait(str(machine), str(execution))
            except SweepDrillError as exc:
                status = f"TIMED OUT ({exc})"
            if status == "SUCCEEDED":
                succeeded += 1
            else:
                failed += 1
                record = deps.optimization.documents.get(tenant, "execution", str(execution))
                why.append(f"{id}: {'; '.join((record.body.get('reasons') or [])[-2:]) if record else 'no record'}")
        return approved, succeeded, failed, why


ORDER = {"oom": 0, "workload_rightsizing": 1, "spot": 2, "node_rightsizing": 3, "consolidation": 4}


def _in_order(deps: SweepDeps, tenant: str, ids: list[str]) -> list[str]:
    """Workloads first (the consolidation was planned on their new requests), then nodes, as the sweep's Decide."""
    kinds = {id: str((d.body if (d := deps.optimization.documents.get(tenant, "recommendation", id)) else {}).get(
        "kind", "consolidation")) for id in ids}  # fmt: skip
    return sorted(ids, key=lambda id: (ORDER.get(kinds[id], 9), id))
