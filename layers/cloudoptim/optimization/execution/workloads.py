"""Workload rightsizing and OOM remediation: patch the owning Deployment, StatefulSet or DaemonSet's container
resources (its controller rolls the pods). GitOps-managed owners never reach this step (validate)."""

from __future__ import annotations

from cloudoptim.optimization.execution.run import Run, State
from engines.execution.revalidate import ContainerTarget


def patch(run: Run) -> State:
    reasons = []
    for change in run.state["patches"]:
        owner = f"{change['owner_kind']}/{change['namespace']}/{change['owner_name']}"
        target = ContainerTarget(change["cpu_request_cores"], change["memory_request_bytes"],
                                 change["memory_limit_bytes"])  # fmt: skip
        if not run.dry_run:
            run.kube.patch_container(change["owner_kind"], change["namespace"], change["owner_name"],
                                     change["container"], target)  # fmt: skip
        reasons.append(f"{'dry run: would patch' if run.dry_run else 'patched'} {owner} container "
                       f"{change['container']}")  # fmt: skip
        run.audit("patch", f"{owner}/{change['container']}", change["before"], _fields(target), reasons[-1:])
    run.note("patch", reasons)
    return dict(run.state)


def restore(run: Run) -> list[str]:
    """The rollback: each container back to the resources it had before the patch."""
    done = []
    for change in run.state["patches"]:
        owner = f"{change['owner_kind']}/{change['namespace']}/{change['owner_name']}"
        before = change["before"]
        if not run.dry_run:
            run.kube.patch_container(change["owner_kind"], change["namespace"], change["owner_name"],
                                     change["container"], ContainerTarget(**before))  # fmt: skip
        done.append(f"restored {owner} container {change['container']} to its former requests")
        run.audit("restore", f"{owner}/{change['container']}", None, before, done[-1:])
    return done


def _fields(target: ContainerTarget) -> dict[str, float | int]:
    values = {"cpu_request_cores": target.cpu_request_cores, "memory_request_bytes": target.memory_request_bytes,
              "memory_limit_bytes": target.memory_limit_bytes}  # fmt: skip
    return {k: v for k, v in values.items() if v is not None}
