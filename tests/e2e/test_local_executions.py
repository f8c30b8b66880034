"""The execution workflows on the local stack: recommendations written as the sweep writes them, approved through
the product's use case, run by the deployed Execute state machine (moto) with execute_step in-process against the
Kubernetes emulator. Outcomes are read from the emulator and the documents."""

from __future__ import annotations

from typing import Any

from cloudoptim.adapters.kube.quantity import cpu_millicores
from localmode.stack import LocalStack
from localmode.sweep_drill import SweepDrill
from tests.e2e.support import execution_deps as _deps
from tests.e2e.support import registered_as_the_api_does as _registered_as_the_api_does
from tests.e2e.support import run_recommendation as _run


def _deployments(stack: LocalStack) -> list[tuple[str, str, dict[str, Any]]]:
    with stack.kube.store.operation():
        table = stack.kube.store.state.workloads.deployments
        return [(ns, name, obj) for (ns, name), obj in sorted(table.items()) if ns != "kube-system"
                and (obj["spec"]["template"]["spec"]["containers"][0].get("resources") or {}).get("requests", {})
                .get("cpu")]  # fmt: skip


def _cpu(stack: LocalStack, namespace: str, name: str) -> int:
    """The first container's CPU request in millicores."""
    with stack.kube.store.operation():
        obj = stack.kube.store.state.workloads.deployments[(namespace, name)]
        return cpu_millicores(obj["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"])


def _patch(namespace: str, name: str, container: str, cores: float) -> dict[str, Any]:
    return {"type": "patch_requests", "namespace": namespace, "owner_kind": "Deployment", "owner_name": name,
            "container": container, "cpu_request_cores": cores}  # fmt: skip


def test_workload_rightsizing_gitops_guard_and_stale_plans_on_the_local_stack(local_stack: LocalStack) -> None:
    stack, deps = local_stack, _deps(local_stack)
    (ns1, web, obj1), (ns2, other, obj2), (ns3, argo, obj3) = _deployments(stack)[:3]
    first = obj1["spec"]["template"]["spec"]["containers"][0]["name"]

    done = _run(stack, deps, "local.e2e.001", "workload_rightsizing", [_patch(ns1, web, first, 0.01)], 0.000001)
    assert done["execution"]["status"] == "succeeded", done["execution"]
    assert _cpu(stack, ns1, web) == 10  # the owner was patched

    before = _cpu(stack, ns2, other)
    container = obj2["spec"]["template"]["spec"]["containers"][0]["name"]
    short = _run(stack, deps, "local.e2e.002", "workload_rightsizing", [_patch(ns2, other, container, 0.01)], 1000.0)
    assert short["execution"]["status"] == "rolled_back" and short["recommendation"]["status"] == "rolled_back"
    assert _cpu(stack, ns2, other) == before  # the guard restored the old requests

    with stack.kube.store.operation():
        stored = stack.kube.store.state.workloads.deployments[(ns3, argo)]
        stored["metadata"].setdefault("annotations", {})["argocd.argoproj.io/tracking-id"] = (
            f"{ns3}:apps/Deployment:{argo}"
        )
    unchanged = _cpu(stack, ns3, argo)
    container = obj3["spec"]["template"]["spec"]["containers"][0]["name"]
    gitops = _run(stack, deps, "local.e2e.003", "workload_rightsizing", [_patch(ns3, argo, container, 0.01)], 0.001)
    assert gitops["recommendation"]["status"] == "needs_gitops" and "cpu: 10m" in gitops["recommendation"]["patch"]
    assert _cpu(stack, ns3, argo) == unchanged  # left untouched

    _registered_as_the_api_does(stack)
    node = stack.kube.store.list_nodes()[0]["metadata"]["name"]
    stale = [{"type": "delete", "nodes": [node], "moves": [{"pod": "default/long-gone", "to": node + "-x"}]}]
    replanned = _run(stack, deps, "local.e2e.004", "consolidation", stale, 0.1)
    assert replanned["execution"]["status"] == "replanned" and replanned["recommendation"]["status"] == "superseded"
    assert any("new sweep" in r for r in replanned["execution"]["reasons"])
    assert node in {n["metadata"]["name"] for n in stack.kube.store.list_nodes()}  # nothing moved
    # the re-plan really runs (the deployed Sweep): let it end before the next test shares the stack
    [sweep] = [r.split("new sweep ", 1)[1].split()[0] for r in replanned["execution"]["reasons"] if "new sweep " in r]
    assert stack.deployed is not None
    assert SweepDrill(stack).wait(stack.deployed.tables["SWEEP_STATE_MACHINE_ARN"], sweep) == "SUCCEEDED"
