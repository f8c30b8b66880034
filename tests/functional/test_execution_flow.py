"""The Execute state machine (statemachines/execute.asl.json, run by tests/support/asl.py) over execute_step with
in-memory ports: a consolidation through its node group, a Karpenter node, workload rightsizing, a stale plan, a
GitOps owner, a savings-guard rollback, dry run, malformed actions and a budget that holds the drain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudoptim.interruptions.ports import ClusterRecord, NodeGroup, TenantRecord
from cloudoptim.optimization import executions
from cloudoptim.optimization.execution.ports import ExecutionDeps
from cloudoptim.optimization.execution.steps import STEPS
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.optimization.records import RECOMMENDATION_TTL_SECONDS, Recommendation
from engines.execution.revalidate import ContainerNow
from functions.execute_step.handler import handle
from tests.fakes.aws import FakeAudit, FakeCloud, FakeRegistry
from tests.fakes.execution import GIB, FakeExecutionKube, FakeFleet, FakeOwner, FlatPrices
from tests.fakes.tenancy import FakeWorkflows, MemoryDocuments
from tests.support.asl import run

ASL = Path(__file__).resolve().parents[2] / "statemachines" / "execute.asl.json"
TENANT, CLUSTER, NOW = "acme", "prod", 1_700_000_000
PRICES = FlatPrices({"m5.xlarge": 0.192, "m5.large": 0.096})


class World:
    def __init__(self) -> None:
        self.documents, self.audit, self.workflows = MemoryDocuments(), FakeAudit(), FakeWorkflows()
        self.kube, self.cloud, self.serial = FakeExecutionKube(), FakeCloud(), 0
        self.fleet = FakeFleet(self.kube)
        self.registry = FakeRegistry()
        self.registry.add_tenant(TenantRecord(TENANT, "111122223333", "arn:aws:iam::111122223333:role/x"))
        group = NodeGroup("web", "lt-1", subnets={"eu-west-1a": "subnet-a"}, capacity_type="on-demand",
                      az_ids={"eu-west-1a": "euw1-az3"})
        self.registry.add_cluster(ClusterRecord(TENANT, CLUSTER, "https://k", "", {}, {"web": group}))
        self.documents.create(TENANT, "cluster", CLUSTER, {"name": CLUSTER, "region": "eu-west-1"}, NOW)
        self.deps = ExecutionDeps(self.documents, self.audit, self.workflows, self.registry, self.kube, self.cloud,
                                  self.fleet, lambda region: PRICES, wait_seconds=0)  # fmt: skip
        for index in range(3):
            name = f"node-{index}"
            self.kube.add_node(name, f"i-{index:017x}", labels={"eks.amazonaws.com/nodegroup": "web"})
            self.fleet.groups.setdefault("eks-web-1", []).append(f"i-{index:017x}")
        self.fleet.desired["eks-web-1"] = 3
        for index in range(4):
            self.kube.add_pod(f"shop/web-{index}", f"node-{index % 2}")

    def recommend(self, kind: str, actions: list[dict[str, Any]], projected: float, dry_run: bool = False) -> str:
        self.serial += 1
        id = f"{CLUSTER}.20231114T221320Z.{self.serial:03d}"
        body = Recommendation(cluster=CLUSTER, kind=kind, status="approved", title=kind, actions=actions,
                              projected_savings_per_hour=projected, sweep_id=f"{CLUSTER}.s", discovery_run="r",
                              expires_at=NOW + RECOMMENDATION_TTL_SECONDS)  # fmt: skip
        document = self.documents.create(TENANT, "recommendation", id, body.model_dump(), NOW)
        optimization = OptimizationDeps(self.documents, self.audit, self.workflows)
        executions.start(optimization, TENANT, document, "ops@acme", NOW, dry_run=dry_run)
        return id

    def execute(self, id: str) -> tuple[str, dict[str, Any], list[str]]:
        (payload,) = [p for p in self.workflows.executions.values() if p["recommendation_id"] == id]

        def invoke(resource: str, given: Any) -> Any:
            state = handle(given, self.deps, NOW)
            for launched in state.get("launched") or []:  # the kubelet joins what EC2 started
                if launched["node_name"] not in self.kube.nodes and launched["node_name"]:
                    self.kube.add_node(launched["node_name"], launched["instance_id"], launched["instance_type"], 2)
            return state

        return run(ASL, dict(payload), invoke)

    def execution(self, id: str) -> dict[str, Any]:
        recommendation = self.documents.get(TENANT, "recommendation", id)
        assert recommendation is not None
        found = self.documents.get(TENANT, "execution", str(recommendation.body["execution_id"]))
        assert found is not None
        return {"execution": found.body, "recommendation": recommendation.body}


@pytest.fixture
def world() -> World:
    return World()


def _delete(node: str, moves: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"type": "delete", "nodes": [node], "launches": [], "moves": [{"pod": p, "to": t} for p, t in moves.items()]}
    ]


def test_the_asl_names_exactly_the_steps_the_lambda_knows() -> None:
    machine = json.loads(ASL.read_text())
    named = {s["Parameters"]["step"] for s in machine["States"].values() if s["Type"] == "Task"}
    assert named == set(STEPS)


def test_consolidation_removes_the_node_through_its_group_and_every_pod_stays_placed(world: World) -> None:
    id = world.recommend("consolidation", _delete("node-1", {"shop/web-1": "node-2", "shop/web-3": "node-2"}), 0.15)
    status, _, _ = world.execute(id)
    record = world.execution(id)
    assert status == "SUCCEEDED" and record["execution"]["status"] == "succeeded"
    assert "node-1" not in world.kube.nodes and world.fleet.desired["eks-web-1"] == 2  # decremented, not replaced
    assert all(p.node in world.kube.nodes for p in world.kube.pods.values())  # 0 unschedulable
    assert record["recommendation"]["realised_savings_per_hour"] == pytest.approx(0.192)
    realised = world.documents.get(TENANT, "cluster_state", CLUSTER)
    assert realised is not None and realised.body["realised"]["consolidation"] == pytest.approx(0.192)
    actions = [e.action for e in world.audit.all()]
    assert {"execution.validate", "execution.cordon", "execution.evict", "execution.remove", "execution.guard"} <= set(
        actions
    )


def test_a_replace_launches_first_and_a_karpenter_node_goes_through_its_nodeclaim(world: World) -> None:
    world.kube.add_node("kp-1", "i-karp", labels={"karpenter.sh/nodepool": "default"})
    world.kube.nodeclaims["claim-1"] = "kp-1"
    world.kube.add_pod("shop/api-0", "kp-1")
    actions = [{"type": "replace", "nodes": ["kp-1"], "moves": [{"pod": "shop/api-0", "to": "new:0"}],
                "launches": [{"instance_type": "m5.large", "availability_zone": "eu-west-1a",
                              "capacity_type": "on-demand", "node_group": "web"}]}]  # fmt: skip
    id = world.recommend("node_rightsizing", actions, 0.09)
    status, _, visited = world.execute(id)
    assert status == "SUCCEEDED" and visited.index("Launch") < visited.index("Cordon") < visited.index("Remove")
    assert "kp-1" not in world.kube.nodes and not world.kube.nodeclaims
    assert world.kube.pods["shop/api-0"].node in world.kube.nodes
    assert world.execution(id)["recommendation"]["realised_savings_per_hour"] == pytest.approx(0.096)
    # the new node is registered at once: its own Spot notice before the next discovery starts a workflow
    [new] = world.registry.nodes.values()  # the only node registered: the launched one
    assert (new.node_group, new.az_id, new.capacity_type) == ("web", "euw1-az3", "on-demand")


def test_a_stale_plan_is_superseded_and_a_new_sweep_asked_for(world: World) -> None:
    id = world.recommend("consolidation", _delete("node-1", {"shop/gone-7": "node-2"}), 0.15)
    status, _, _ = world.execute(id)
    record = world.execution(id)
    assert status == "SUCCEEDED" and record["execution"]["status"] == "replanned"
    assert record["recommendation"]["status"] == "superseded" and "pod-gone" in " ".join(record["execution"]["reasons"])
    assert len(world.workflows.sweeps) == 1 and "node-1" in world.kube.nodes  # nothing moved


def test_workload_rightsizing_patches_the_owner_and_a_gitops_owner_gets_a_patch_instead(world: World) -> None:
    world.kube.owners[("Deployment", "shop", "web")] = FakeOwner({}, {}, 4, {"app": ContainerNow(2.0, 4 * GIB, None)})
    argo = {"argocd.argoproj.io/tracking-id": "shop:apps/Deployment:shop/cart"}
    world.kube.owners[("Deployment", "shop", "cart")] = FakeOwner({}, argo, 2, {"app": ContainerNow(1.0, GIB, None)})
    patch = {
        "type": "patch_requests",
        "namespace": "shop",
        "owner_kind": "Deployment",
        "owner_name": "web",
        "container": "app",
        "cpu_request_cores": 0.5,
        "memory_request_bytes": 2 * GIB,
        "memory_limit_bytes": None,
    }
    id = world.recommend("workload_rightsizing", [patch], 0.01)
    assert world.execute(id)[0] == "SUCCEEDED" and world.execution(id)["execution"]["status"] == "succeeded"
    assert world.kube.owners[("Deployment", "shop", "web")].containers["app"] == ContainerNow(0.5, 2 * GIB, None)

    id = world.recommend("workload_rightsizing", [{**patch, "owner_name": "cart", "cpu_request_cores": 0.25}], 0.01)
    world.execute(id)
    record = world.execution(id)["recommendation"]
    assert record["status"] == "needs_gitops" and "cpu: 250m" in record["patch"] and "Argo CD" in record["gitops_owner"]
    assert world.kube.owners[("Deployment", "shop", "cart")].containers["app"].cpu_request_cores == 1.0


def test_the_guard_restores_the_old_requests_when_the_saving_falls_short(world: World) -> None:
    world.kube.owners[("Deployment", "shop", "web")] = FakeOwner({}, {}, 2, {"app": ContainerNow(2.0, 4 * GIB, None)})
    patch = {"type": "patch_requests", "namespace": "shop", "owner_kind": "Deployment", "owner_name": "web",
             "container": "app", "cpu_request_cores": 1.5}  # fmt: skip
    id = world.recommend("workload_rightsizing", [patch], 5.0)  # promised far more than half a core saves
    world.execute(id)
    record = world.execution(id)
    assert record["execution"]["status"] == "rolled_back" and record["recommendation"]["status"] == "rolled_back"
    assert world.kube.owners[("Deployment", "shop", "web")].containers["app"].cpu_request_cores == 2.0
    assert any("below 50%" in r for r in record["execution"]["reasons"])


def test_a_dry_run_decides_every_step_and_changes_nothing(world: World) -> None:
    before = (dict(world.kube.nodes), dict(world.kube.pods))
    id = world.recommend("consolidation", _delete("node-1", {"shop/web-1": "node-2"}), 0.15, dry_run=True)
    status, _, visited = world.execute(id)
    assert status == "SUCCEEDED" and "Remove" in visited
    assert (world.kube.nodes, world.kube.pods) == before and world.fleet.desired["eks-web-1"] == 3
    assert all(
        e.dry_run for e in world.audit.all() if e.action.startswith("execution.") and e.action != "execution.start"
    )


def test_malformed_actions_fail_with_the_problem_named_and_change_nothing(world: World) -> None:
    id = world.recommend("consolidation", [{"type": "delete", "nodes": []}], 0.15)
    world.execute(id)
    record = world.execution(id)
    assert record["execution"]["status"] == "failed" and record["recommendation"]["status"] == "failed"
    assert "action 1 (nodes)" in " ".join(record["execution"]["reasons"]) and len(world.kube.nodes) == 3


def test_a_budget_that_never_allows_a_disruption_gives_up_and_uncordons(world: World) -> None:
    world.kube.budgets["shop/web"] = 0
    id = world.recommend("consolidation", _delete("node-1", {"shop/web-1": "node-2"}), 0.15)
    world.workflows.executions[f"{id}.x1"]["max_eviction_rounds"] = 3
    status, _, visited = world.execute(id)
    record = world.execution(id)
    assert status == "FAILED" and visited.count("Evict") == 3 and "Remove" not in visited
    assert record["execution"]["status"] == "failed" and "node-1" in world.kube.nodes
    assert not world.kube.nodes["node-1"].unschedulable and world.kube.pdb_violations == 0
