"""TerminateReplacement: a replacement that never became Ready is terminated, not left running at the customer's
cost. Tag-scoped twice: the customer role may only terminate instances tagged with the tenant, and the adapter
checks the instance carries both tags CloudOptim launched it with before asking."""

from __future__ import annotations

from dataclasses import dataclass

from cloudoptim.interruptions.launch import launch_tags
from cloudoptim.interruptions.models import DrainState, Termination
from cloudoptim.interruptions.ports import CustomerCloud, Registry


@dataclass(frozen=True)
class TerminateDeps:
    registry: Registry
    cloud: CustomerCloud


def terminate_replacement(state: DrainState, deps: TerminateDeps) -> Termination:
    launch = state.launch
    if launch is None or launch.instance_id is None or state.dry_run:
        return Termination(terminated=False, reasons=["nothing was launched: nothing to terminate"])
    cluster = deps.registry.cluster(state.tenant_id, state.cluster)
    tenant = cluster.owner(deps.registry.tenant(state.tenant_id))
    done = deps.cloud.terminator(tenant, state.region).terminate(launch.instance_id, launch_tags(state))
    if not done:
        why = f"{launch.instance_id} not terminated: already gone, or it does not carry CloudOptim's launch tags"
        return Termination(terminated=False, instance_id=launch.instance_id, reasons=[why])
    why = f"terminated replacement {launch.instance_id}: it did not become a Ready node in time"
    return Termination(terminated=True, instance_id=launch.instance_id, reasons=[why])
