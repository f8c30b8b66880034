"""`AccountProbe`: assume an account's role exactly as the product will (its ExternalId, the tenant session tag, a
session policy) and try the reads the pipeline makes, with DryRun: nothing changes in the customer's account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.errors import CloudOptimError
from cloudoptim.interruptions.ports import TenantRecord
from cloudoptim.tenancy.ports import Verification

DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"})


def _dry_run(call: Callable[..., Any], **params: Any) -> None:
    """EC2's DryRun answers DryRunOperation when allowed: that is a pass."""
    try:
        call(DryRun=True, **params)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "DryRunOperation":
            raise


# The reads ingest makes for an instance the registry does not know (purpose "locate").
CHECKS: tuple[tuple[str, Callable[[Any], None]], ...] = (
    ("ec2:DescribeInstances", lambda ec2: _dry_run(ec2.describe_instances, MaxResults=5)),
    ("ec2:DescribeAvailabilityZones", lambda ec2: _dry_run(ec2.describe_availability_zones)),
)


class StsAccountProbe:
    def __init__(self, sessions: StsSessions, endpoint_url: str | None = None) -> None:
        self._sessions = sessions
        self._endpoint = endpoint_url

    def verify(self, tenant: TenantRecord) -> Verification:
        checks: dict[str, bool] = {}
        reasons: list[str] = []
        for region in tenant.regions:
            try:
                ec2 = self._sessions.session(tenant, region, "locate").client("ec2", region, self._endpoint)
            except CloudOptimError as exc:  # AssumeRole refused: the template is not deployed, or not as issued
                return Verification(False, {}, (f"AssumeRole {tenant.role_arn} in {region}: {exc}",))
            for name, probe in CHECKS:
                label = f"{name} ({region})"
                try:
                    probe(ec2)
                    checks[label] = True
                except (ClientError, BotoCoreError) as exc:
                    checks[label] = False
                    reasons.append(f"{label}: {_code(exc)}")
        return Verification(True, checks, tuple(reasons))


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return "denied by the role's policy" if code in DENIED else code or "error"
    return type(exc).__name__
