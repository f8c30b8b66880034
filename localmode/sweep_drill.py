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
from dataclasses import dataclass, field
from typing import Any, Literal

from cloudoptim.adapters.aws.stepfunctions import _name
from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.kube.cluster import loaded
from cloudoptim.adapters.kube.documents import objects_of
from cloudoptim.optimization import recommendations, sweeps
from cloudoptim.optimization.discover import discover, sample_usage
from cloudoptim.optimization.records import Recommendation, Sweep
from cloudoptim.optimization.state import state_of
from cloudoptim.optimization.sweep_steps import SweepDeps
from cloudoptim.settings import SweepStepSettings
from cloudoptim.tenancy.principal import Principal, Role
from cloudoptim.wiring.sweep import sweep_deps
from localmode.hibernate_drill import pods_pending
from localmode.kube_emulator.metrics import UsageModel
from localmode.kube_emulator.workloads import with_status
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
        done = self._execute(deps, tenant, sweep, started.id)
        after_run = discover(deps.discovery, tenant, cluster, int(self.clock()) + 1).run
        before, after = self.cost(deps, tenant, cluster, before_run), self.cost(deps, tenant, cluster, after_run)
        ledger = (kept.body if (kept := state_of(docs, tenant, cluster)) else {}) if self.approve == "all" else {}
        return {
            "tenant": tenant, "cluster": cluster, "sweep": started.id, "usage_hours": usage_hours,
            "recommendations": len(made), "by_kind": by_kind, "approved": done.approved,
            "executions_succeeded": done.succeeded, "executions_failed": done.failed,
            "executions_replanned": done.replanned, "superseded_before_approval": done.superseded,
            "replan_rounds": done.rounds, "failures": done.why[:10],
            "projected_savings_per_hour": round(sweep.projected_savings_per_hour or 0.0, 4),
            "projected_savings_approved_per_hour": round(done.approved_projected, 4),
            "replanned_projected_per_hour": round(done.replanned_projected, 4),
            "realised_savings_per_hour": round(before - after, 4),
            "realised_share_of_projected": round((before - after) / done.approved_projected, 4)
            if done.approved_projected else None,
            "cost_before_per_hour": before, "cost_after_per_hour": after,
            "pdb_violations": stack.kube.stats().pdb_violations - violations_before,
            "pods_unschedulable_before": pending_before, "pods_unschedulable_after": pods_pending(stack),
            "projected_by_kind": {k: round(v, 4) for k, v in sweep.by_kind.items()},
            "ledger_realised_by_kind": {k: round(float(v), 4) for k, v in ledger.get("realised", {}).items()},
            "ledger_claimed_by_kind": {k: round(float(v), 4) for k, v in ledger.get("claimed", {}).items()},
        }  # fmt: skip

    def _execute(self, deps: SweepDeps, tenant: str, sweep: Sweep, sweep_id: str) -> Outcome:
        """Approve in the sweep's order (workloads, whose new requests the node plans were made on, then nodes),
        let the controllers roll the patched workloads out, then the node plans. A plan the rollouts made stale is
        superseded and re-planned by a new sweep (the product's path, never forced): that sweep's recommendations
        are approved in turn, up to MAX_ROUNDS sweeps in all."""
        outcome = Outcome()
        if self.approve == "none":
            return outcome
        ids, seen = list(sweep.recommendations), {sweep_id}
        for round in range(MAX_ROUNDS):
            kinds = _kinds(deps, tenant, ids)
            ordered = sorted(ids, key=lambda id: (ORDER.get(kinds[id], 9), id))
            workloads = [id for id in ordered if kinds[id] in WORKLOAD_KINDS]
            self._approve_all(deps, tenant, workloads, outcome, first=round == 0)
            outcome.rollouts_waited += self.settle()
            self._approve_all(deps, tenant, [id for id in ordered if id not in workloads], outcome, first=round == 0)
            asked = [s for s in outcome.replan_sweeps if s not in seen]
            if not asked:
                break
            seen.update(asked)
            newest = max(asked)  # ids sort by time: the newest re-plan supersedes what the others planned
            machine = str(self.stack.deployed.tables["SWEEP_STATE_MACHINE_ARN"]) if self.stack.deployed else ""
            for name in asked:
                self.wait(machine, name)
            found = deps.optimization.documents.get(tenant, "sweep", newest)
            replanned = Sweep.model_validate(found.body) if found else None
            if replanned is None or replanned.status != "planned":
                outcome.why.append(f"re-plan sweep {newest}: {replanned.status if replanned else 'not found'}")
                break
            outcome.replanned_projected += replanned.projected_savings_per_hour or 0.0
            outcome.rounds += 1
            ids = list(replanned.recommendations)
        return outcome

    def _approve_all(self, deps: SweepDeps, tenant: str, ids: list[str], outcome: Outcome, first: bool) -> None:
        operator = Principal(tenant, "local-sweep", "local sweep", Role.OPERATOR)
        machine = self.stack.deployed.tables.get("EXECUTION_STATE_MACHINE_ARN") if self.stack.deployed else None
        docs = deps.optimization.documents
        for id in ids:
            try:
                started = recommendations.approve(deps.optimization, operator, id, None, int(self.clock()))
            except Exception as exc:  # reported: a recommendation the API refuses to approve
                found = docs.get(tenant, "recommendation", id)
                if first and found is not None and found.body.get("status") == "superseded":
                    # a re-plan asked for by a stale plan superseded it first: its dollars are planned again there
                    outcome.superseded += 1
                    outcome.approved_projected += float(found.body.get("projected_savings_per_hour") or 0.0)
                    continue
                outcome.why.append(f"{id}: not approved: {type(exc).__name__}: {exc}"[:300])
                continue
            outcome.approved += 1
            if first:
                outcome.approved_projected += float(started.body.get("projected_savings_per_hour") or 0.0)
            execution = started.body.get("execution_id")
            if not machine or not execution:
                outcome.failed += 1
                outcome.why.append(f"{id}: approved but no execution started")
                continue
            try:
                self.wait(str(machine), str(execution))
            except SweepDrillError as exc:
                outcome.failed += 1
                outcome.why.append(f"{id}: {exc}")
                continue
            record = docs.get(tenant, "execution", str(execution))
            body = record.body if record else {}
            status, reasons = str(body.get("status") or "no record"), [str(r) for r in body.get("reasons") or []]
            if status == "succeeded":
                outcome.succeeded += 1
            elif status == "replanned":
                outcome.replanned += 1
                outcome.replan_sweeps += [r.split("new sweep ", 1)[1].split()[0] for r in reasons if "new sweep " in r]
            else:
                outcome.failed += 1
                outcome.why.append(f"{id}: {status}: {'; '.join(reasons[-2:])}"[:500])

    def settle(self) -> int:
        """Wait until every Deployment, StatefulSet and DaemonSet runs its current template on Ready pods (the
        controllers' rollouts done); returns how many workloads were still rolling when asked."""
        store = self.stack.kube.store
        deadline, rolling = self.clock() + self.timeout_seconds, -1
        while self.clock() < deadline:
            with store.operation():
                state = store.state
                now_rolling = sum(
                    1 for table in (state.workloads.deployments, state.workloads.statefulsets,
                                    state.workloads.daemonsets)
                    for obj in table.values() if not _rolled(with_status(obj, state.pods, state.workloads))
                )  # fmt: skip
            rolling = now_rolling if rolling < 0 else rolling
            if now_rolling == 0:
                return rolling
            time.sleep(0.1)
        raise SweepDrillError(f"workload rollouts still running after {self.timeout_seconds} s")


@dataclass
class Outcome:
    approved: int = 0
    succeeded: int = 0
    failed: int = 0
    replanned: int = 0  # superseded by re-validation: a new sweep planned them again from the cluster as it is
    rounds: int = 0  # re-plan sweeps whose recommendations were approved in turn
    rollouts_waited: int = 0
    superseded: int = 0  # of the first sweep's, superseded by a re-plan before the drill came to approve them
    approved_projected: float = 0.0  # what the first sweep's approved (or re-planned) recommendations promised
    replanned_projected: float = 0.0  # what the re-plan sweeps promised (the same dollars, planned again)
    replan_sweeps: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)


ORDER = {"oom": 0, "workload_rightsizing": 1, "spot": 2, "node_rightsizing": 3, "consolidation": 4}
WORKLOAD_KINDS = frozenset({"oom", "workload_rightsizing"})
MAX_ROUNDS = 3


def _kinds(deps: SweepDeps, tenant: str, ids: list[str]) -> dict[str, str]:
    docs = deps.optimization.documents
    return {id: str((d.body if (d := docs.get(tenant, "recommendation", id)) else {}).get("kind", "consolidation"))
            for id in ids}  # fmt: skip


def _rolled(shown: dict[str, Any]) -> bool:
    status = shown.get("status") or {}
    if shown["kind"] == "DaemonSet":
        return bool(status.get("updatedNumberScheduled") == status.get("numberReady") == status.get(
            "desiredNumberScheduled"))  # fmt: skip
    replicas = int(shown["spec"].get("replicas", 1))
    return bool(status.get("updatedReplicas") == status.get("readyReplicas") == status.get("replicas") == replicas)
