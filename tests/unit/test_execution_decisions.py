"""Pure decisions of the execution workflows: GitOps owners, node removal by owner, re-validation, the guard."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudoptim.errors import InvalidArgumentError
from cloudoptim.optimization.actions import parse_actions
from engines.cluster.gitops import gitops_manager
from engines.cluster.model import ClusterState, Node, Pod, Resources
from engines.execution.guard import Freed, PricedNode, node_saving, resource_rates, verdict, workload_saving
from engines.execution.owners import Removal, removal_of
from engines.execution.revalidate import (
    ContainerNow,
    ContainerTarget,
    PlannedMove,
    StaleCode,
    stale_node_plan,
    stale_patch,
)

GIB = 1024**3


@pytest.mark.parametrize(
    ("labels", "annotations", "tool"),
    [
        ({}, {"argocd.argoproj.io/tracking-id": "a:apps/Deployment:ns/web"}, "Argo CD"),
        ({"argocd.argoproj.io/instance": "shop"}, {}, "Argo CD"),
        ({"app.kubernetes.io/instance": "shop", "app.kubernetes.io/managed-by": "argocd"}, {}, "Argo CD"),
        ({"kustomize.toolkit.fluxcd.io/name": "apps"}, {}, "Flux"),
        ({"helm.toolkit.fluxcd.io/name": "web"}, {}, "Flux"),
        ({"app.kubernetes.io/instance": "web", "app.kubernetes.io/managed-by": "Helm"}, {}, None),
        ({}, {}, None),
    ],
)
def test_gitops_owners_are_recognised_and_plain_helm_is_not(
    labels: dict[str, str], annotations: dict[str, str], tool: str | None
) -> None:
    found = gitops_manager(labels, annotations)
    assert (found.split(" (")[0] if found else None) == tool


def test_a_node_leaves_through_its_owner_and_an_unowned_node_stays() -> None:
    assert removal_of({"karpenter.sh/nodepool": "p"}, "asg", True).how is Removal.NODECLAIM  # Karpenter first
    managed = removal_of({"eks.amazonaws.com/nodegroup": "web"}, "eks-web-1", False)
    assert managed.how is Removal.AUTO_SCALING_GROUP and managed.group == "eks-web-1" and "web" in managed.reason
    assert removal_of({}, None, True).how is Removal.TAGGED_INSTANCE
    assert removal_of({}, None, False).how is Removal.NONE


def _state(pods_on: dict[str, str], cpu_m: int = 500, unschedulable: str | None = None) -> ClusterState:
    nodes = tuple(Node(n, "m5.large", "a", "on-demand", Resources(2000, 8 * GIB, 0, 110), 0.1,
                       unschedulable=n == unschedulable) for n in ("n1", "n2"))  # fmt: skip
    pods = tuple(Pod(k.split("/")[0], k.split("/")[1], n, Resources(cpu_m, GIB, 0, 1)) for k, n in pods_on.items())
    return ClusterState("r", nodes, pods, ())


def test_a_plan_goes_stale_when_what_it_moves_changed() -> None:
    moves = [PlannedMove("a/p", ("n1",), "n2")]
    assert stale_node_plan(_state({"a/p": "n1"}), ["n1"], moves, {}) == []
    codes = {s.code for s in stale_node_plan(_state({}), ["n1"], moves, {})}
    assert codes == {StaleCode.POD_GONE}
    assert {s.code for s in stale_node_plan(_state({"a/p": "n2"}), ["n1"], moves, {})} == {StaleCode.POD_ELSEWHERE}
    assert {s.code for s in stale_node_plan(_state({"a/p": "n1"}), ["n3"], [], {})} == {StaleCode.NODE_GONE}
    cordoned = stale_node_plan(_state({"a/p": "n1"}, unschedulable="n2"), ["n1"], moves, {})
    assert {s.code for s in cordoned} == {StaleCode.TARGET_CORDONED}
    grown = stale_node_plan(_state({"a/p": "n1", "a/q": "n2"}, cpu_m=1500), ["n1"], moves, {})  # requests grew
    assert {s.code for s in grown} == {StaleCode.NO_LONGER_FITS}


def test_a_patch_goes_stale_when_the_owner_changed() -> None:
    target = ContainerTarget(0.5, None, None)
    assert (
        stale_patch("D/ns/w", "app", ContainerNow(2.0, GIB, None), target, owner_found=True, grows_allowed=False) == []
    )
    assert (
        stale_patch("D/ns/w", "app", None, target, owner_found=False, grows_allowed=False)[0].code
        is StaleCode.OWNER_GONE
    )
    assert stale_patch("D/ns/w", "app", None, target, owner_found=True, grows_allowed=False)[0].code is (
        StaleCode.CONTAINER_GONE
    )
    lowered_already = ContainerNow(0.25, GIB, None)
    assert stale_patch("D/ns/w", "app", lowered_already, target, owner_found=True, grows_allowed=False)[0].code is (
        StaleCode.NOTHING_TO_LOWER
    )
    oom = ContainerTarget(None, 2 * GIB, 2 * GIB)
    assert stale_patch("D/ns/w", "app", ContainerNow(1.0, GIB, GIB), oom, owner_found=True, grows_allowed=True) == []


def test_malformed_actions_name_the_problem() -> None:
    with pytest.raises(InvalidArgumentError, match=r"action 1 \(launches\.0\.capacity_type\)"):
        parse_actions("spot", [{"type": "replace", "nodes": ["n"], "launches": [
            {"instance_type": "m5.large", "availability_zone": "a", "capacity_type": "reserved"}]}])  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="new:1 but the plan launches 1"):
        parse_actions("consolidation", [{"type": "replace", "nodes": ["n"], "moves": [{"pod": "a/b", "to": "new:1"}],
                                         "launches": [{"instance_type": "m5.large", "availability_zone": "a",
                                                       "capacity_type": "spot"}]}])  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="changes nothing"):
        parse_actions("workload_rightsizing", [{"type": "patch_requests", "namespace": "a", "owner_kind": "Deployment",
                                                "owner_name": "w", "container": "c"}])  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="non-empty list"):
        parse_actions("oom", "delete everything")


prices = st.floats(min_value=0.001, max_value=50, allow_nan=False)


@given(st.lists(prices, max_size=6), st.lists(prices, max_size=6))
def test_node_saving_is_what_went_less_what_came(gone: list[float], came: list[float]) -> None:
    realised = node_saving([PricedNode(f"g{i}", p, 1, GIB) for i, p in enumerate(gone)],
                           [PricedNode(f"c{i}", p, 1, GIB) for i, p in enumerate(came)])  # fmt: skip
    assert realised.saving_per_hour == pytest.approx(sum(gone) - sum(came), abs=1e-5)


@given(st.lists(st.tuples(prices, st.integers(1, 96), st.integers(1, 768)), min_size=1, max_size=8))
def test_resource_rates_price_the_whole_cluster_exactly(nodes: list[tuple[float, int, int]]) -> None:
    priced = [PricedNode(f"n{i}", p, cores, gib * GIB) for i, (p, cores, gib) in enumerate(nodes)]
    rates = resource_rates(priced)
    whole = [Freed("all", 1, sum(c for _, c, _ in nodes), 0, sum(g for *_, g in nodes) * GIB, 0)]
    assert workload_saving(whole, rates).saving_per_hour == pytest.approx(sum(p for p, *_ in nodes), rel=1e-4)


@given(st.floats(0, 100, allow_nan=False), st.floats(0.01, 100, allow_nan=False), st.floats(0, 1, allow_nan=False))
def test_the_guard_keeps_exactly_what_reached_its_share(realised: float, projected: float, share: float) -> None:
    assert verdict(realised, projected, share).keep == (realised + 1e-9 >= share * projected)
    assert verdict(realised, 0.0, share).keep  # nothing promised: nothing to hold it to
