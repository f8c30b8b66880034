"""The rightsizing pipeline: window, minimum data, HPA, strategy, floors, then OOM remediation on top.

    result = rightsize(usage, inventory, RightsizePolicy(), get_strategy("cloudoptim"))

Every container of every workload (app containers, init containers and native sidecars) ends up either in
`recommendations` (at least one resource sized, or an OOM to act on) or in `skipped`, with the reasons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engines.rightsizing import oom
from engines.rightsizing.inventory import Inventory, Resource, WorkloadContainer, WorkloadRef
from engines.rightsizing.policy import RightsizePolicy
from engines.rightsizing.result import OomRemediation, Recommendation, RightsizeResult, Skipped
from engines.rightsizing.sanity import implausible, largest_node
from engines.rightsizing.strategy import Estimate, EstimateInput, Strategy, fmt_bytes, fmt_cores
from engines.rightsizing.usage import ContainerKey, UsageData, UsageSeries


@dataclass(frozen=True, slots=True)
class _Sized:
    """One resource's outcome: a value (and memory limit) or None with the reason it was left alone."""

    value: float | None
    reasons: tuple[str, ...]
    limit: float | None = None


def rightsize(
    usage: UsageData, inventory: Inventory, policy: RightsizePolicy, strategy: Strategy, end: float | None = None
) -> RightsizeResult:
    """Size every workload container from the `policy.window_days` of usage ending at `end` (default: newest)."""
    end = usage.latest_time() if end is None else end
    start = None if end is None else end - policy.window_seconds
    window = usage.between(start, end) if start is not None and end is not None else UsageData()
    recommendations: list[Recommendation] = []
    skipped: list[Skipped] = []
    ooms: list[OomRemediation] = []
    for workload in inventory.workload_containers():
        item, remediations = _one(workload, window, inventory, policy, strategy, end or 0.0)
        ooms.extend(remediations)
        if isinstance(item, Recommendation):
            recommendations.append(item)
        else:
            skipped.append(item)
    skipped.extend(_unknown_pods(window, inventory))
    return RightsizeResult(strategy.name, start, end, tuple(recommendations), tuple(skipped), tuple(ooms))


def _one(
    workload: WorkloadContainer,
    window: UsageData,
    inventory: Inventory,
    policy: RightsizePolicy,
    strategy: Strategy,
    end: float,
) -> tuple[Recommendation | Skipped, list[OomRemediation]]:
    keys = [ContainerKey(workload.namespace, pod.name, workload.container) for pod in workload.pods]
    data = EstimateInput(
        cpu=tuple(window.series("cpu", k) for k in keys),
        memory=tuple(window.series("memory", k) for k in keys),
        current=workload.current,
        containers_in_pod=workload.containers_in_pod,
        window_end=end,
    )
    cpu = _size(workload, "cpu", data, inventory, policy, strategy)
    memory = _size(workload, "memory", data, inventory, policy, strategy)
    remediations = _ooms(workload, data, inventory, policy)
    memory = _apply_ooms(memory, remediations)
    reasons = (*cpu.reasons, *memory.reasons)
    escalate = any(r.escalate for r in remediations)
    if cpu.value is None and memory.value is None and not remediations:
        return Skipped(workload.namespace, workload.workload, workload.container, workload.pod_names, reasons), []
    memory_request = None if memory.value is None else math.ceil(memory.value)
    memory_limit = None if memory.value is None else max(memory_request or 0, math.ceil(memory.limit or 0))
    return (
        Recommendation(
            namespace=workload.namespace,
            workload=workload.workload,
            container=workload.container,
            kind=workload.kind,
            pods=workload.pod_names,
            cpu_request_cores=None if cpu.value is None else round(cpu.value, 6),
            memory_request_bytes=memory_request,
            memory_limit_bytes=memory_limit,
            current=workload.current,
            reasons=reasons,
            escalate=escalate,
        ),
        remediations,
    )


def _size(
    workload: WorkloadContainer,
    resource: Resource,
    data: EstimateInput,
    inventory: Inventory,
    policy: RightsizePolicy,
    strategy: Strategy,
) -> _Sized:
    label = "CPU" if resource == "cpu" else "memory"
    if policy.skip_hpa_resources:
        for hpa in inventory.autoscalers_of(workload.namespace, workload.workload):
            if hpa.scales_on(workload.container, resource):
                return _Sized(
                    None,
                    (
                        f"{label} left as is: HPA {hpa.name} scales {workload.workload} on {resource} utilisation, "
                        "so a new request would move its target",
                    ),
                )
    series = data.cpu if resource == "cpu" else data.memory
    largest = largest_node(list(inventory.nodes.values()), resource)
    for pod, samples in zip(workload.pods, series, strict=True):
        why = (
            implausible(samples, resource, inventory.node(pod.node), largest)
            if len(samples) or samples.non_finite
            else None
        )
        if why:
            return _Sized(None, (f"{label} left as is: the usage of pod {pod.name} cannot be real: {why}",))
    problem = _not_enough(series, policy)
    if problem:
        return _Sized(None, (f"{label}: not enough data ({problem})",))
    estimate: Estimate = strategy.cpu(data) if resource == "cpu" else strategy.memory(data)
    floor = policy.cpu_floor_cores if resource == "cpu" else float(policy.memory_floor_bytes)
    reasons: tuple[str, ...] = (
        f"{strategy.name}, {label}, last {policy.window_days:g} days: " + "; ".join(estimate.reasons),
    )
    if estimate.value < floor:
        shown = fmt_cores(floor) if resource == "cpu" else fmt_bytes(floor)
        reasons += (f"{label} floor {shown} applied (the estimate was lower)",)
        return _capped(_Sized(floor, reasons, max(floor, estimate.limit or floor)), label, resource, largest)
    return _capped(_Sized(estimate.value, reasons, estimate.limit), label, resource, largest)


def _capped(sized: _Sized, label: str, resource: Resource, largest: float | None) -> _Sized:
    """No request (or limit) above the largest node: a pod asking for more could never be scheduled."""
    if largest is None or sized.value is None or (sized.value <= largest and (sized.limit or 0) <= largest):
        return sized
    shown = fmt_cores(largest) if resource == "cpu" else fmt_bytes(largest)
    why = f"{label} capped at {shown}, the allocatable of the cluster's largest node"
    return _Sized(min(sized.value, largest), (*sized.reasons, why), None if sized.limit is None else largest)


def _not_enough(series: tuple[UsageSeries, ...], policy: RightsizePolicy) -> str | None:
    present = [s for s in series if len(s)]
    samples = sum(len(s) for s in present)
    span = (max(s.last_time for s in present) - min(s.first_time for s in present)) if present else 0.0
    if samples >= policy.min_samples and span >= policy.min_history_seconds:
        return None
    return (
        f"{samples} samples over {span / 3600:.1f} h in the last {policy.window_days:g} days; "
        f"need at least {policy.min_samples} samples over {policy.min_history_hours:g} h"
    )


def _ooms(
    workload: WorkloadContainer, data: EstimateInput, inventory: Inventory, policy: RightsizePolicy
) -> list[OomRemediation]:
    out = []
    for pod, series in zip(workload.pods, data.memory, strict=True):
        container = pod.container(workload.container)
        if container is None:
            continue
        remediation = oom.remediate(pod, container, series.peak, inventory.node(pod.node), policy.oom)
        if remediation is not None:
            out.append(remediation)
    return out


def _apply_ooms(memory: _Sized, remediations: list[OomRemediation]) -> _Sized:
    """An OOM overrides a cut: the bump wins if larger; an escalation leaves memory to a human."""
    if not remediations:
        return memory
    if any(r.escalate for r in remediations):
        first = next(r for r in remediations if r.escalate)
        why = first.escalations[0].reason
        return _Sized(None, (*memory.reasons, f"memory left to a human (pod {first.pod}): {why}"))
    bump = max(r.new_memory_bytes or 0 for r in remediations)
    if memory.value is not None and memory.value >= bump:
        return _Sized(memory.value, (*memory.reasons, "OOM kill seen; the rightsized memory already covers the bump"))
    pods = ", ".join(r.pod for r in remediations)
    return _Sized(float(bump), (*memory.reasons, f"OOM remediation ({pods}): memory raised to {fmt_bytes(bump)}"))


def _unknown_pods(window: UsageData, inventory: Inventory) -> list[Skipped]:
    seen = {k for k in window.containers() if len(window.series("cpu", k)) or len(window.series("memory", k))}
    unknown = sorted(k for k in seen if inventory.pod(k.namespace, k.pod) is None)
    return [
        Skipped(k.namespace, WorkloadRef("Pod", k.pod), k.container, (k.pod,), ("pod not in the workloads file",))
        for k in unknown
    ]
