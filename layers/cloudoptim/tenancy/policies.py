"""A cluster's policy: read (the default until one is saved), replaced whole under If-Match, every change audited."""

from __future__ import annotations

from pydantic import ValidationError

from cloudoptim.errors import FieldError, PreconditionFailedError, PreconditionRequiredError
from cloudoptim.tenancy import clusters
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.policy import ClusterPolicy
from cloudoptim.tenancy.ports import Document, Json
from cloudoptim.tenancy.principal import Action, Principal
from cloudoptim.tenancy.tenants import audit

POLICY = "policy"


def get(deps: TenancyDeps, principal: Principal, cluster: str) -> Document:
    """Version 0 is the default policy, never saved: a first PUT says If-Match "0"."""
    clusters.get(deps, principal, cluster)
    found = deps.documents.get(principal.tenant_id, POLICY, cluster)
    return found or Document(POLICY, cluster, ClusterPolicy().model_dump(mode="json"), 0, 0, 0)


def parse(body: Json) -> ClusterPolicy:
    """The policy, or FieldError naming the first field the domain refuses (dotted path)."""
    try:
        return ClusterPolicy.model_validate(body)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem.get("loc", ())) or "policy"
        raise FieldError(where, str(problem.get("msg", "invalid value")).removeprefix("Value error, ")) from None


def replace(
    deps: TenancyDeps, principal: Principal, cluster: str, body: Json, if_match: int | None, now: int
) -> Document:
    principal.require(Action.CONFIGURE)
    if if_match is None:
        raise PreconditionRequiredError('send If-Match with the ETag of the policy you read ("0" for the default)')
    policy = parse(body).model_dump(mode="json")
    current = get(deps, principal, cluster)
    if if_match != current.version:
        raise PreconditionFailedError(f"policy of {cluster} is at version {current.version}, not {if_match}")
    if current.version == 0:
        updated = deps.documents.create(principal.tenant_id, POLICY, cluster, policy, now)
    else:
        updated = deps.documents.replace(principal.tenant_id, POLICY, cluster, policy, if_match, now)
    target = {"cluster": cluster, "policy": cluster}
    audit(deps, principal, "policy.replace", target, now, before=current.body, after=policy)
    return updated


def effective(deps: TenancyDeps, tenant_id: str, cluster: str) -> ClusterPolicy:
    """The policy the workflows apply (no principal: called by the pipeline and the sweeps)."""
    found = deps.documents.get(tenant_id, POLICY, cluster)
    return ClusterPolicy.model_validate(found.body) if found else ClusterPolicy()
