"""`AccountProbe`: assume an account's role with its ExternalId, then ask EC2 and EKS, with DryRun where the API
has it, what the role may do. Nothing is changed in the customer's account."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws import clients
from cloudoptim.tenancy.ports import Verification

DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"})


def _dry_run(call: Callable[..., Any], **params: Any) -> None:
    """EC2's DryRun answers DryRunOperation when allowed: that is a pass."""
    try:
        call(DryRun=True, **params)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "DryRunOperation":
            raise


# What the product does with the role (docs/onboarding.md), each tried without side effects.
CHECKS: tuple[tuple[str, str, Callable[[Any], None]], ...] = (
    ("ec2", "ec2:DescribeInstances", lambda ec2: _dry_run(ec2.describe_instances, MaxResults=5)),
    ("ec2", "ec2:DescribeLaunchTemplates", lambda ec2: _dry_run(ec2.describe_launch_templates, MaxResults=5)),
    ("ec2", "ec2:DescribeAvailabilityZones", lambda ec2: _dry_run(ec2.describe_availability_zones)),
    ("ec2", "ec2:DescribeSpotPriceHistory", lambda ec2: _dry_run(ec2.describe_spot_price_history, MaxResults=5)),
    ("eks", "eks:ListClusters", lambda eks: eks.list_clusters(maxResults=1)),
)


class StsAccountProbe:
    def __init__(self, endpoint_url: str | None = None, session_seconds: int = 900) -> None:
        self._endpoint = endpoint_url
        self._seconds = session_seconds

    def verify(self, aws_account_id: str, role_arn: str, external_id: str, regions: Sequence[str]) -> Verification:
        sts = clients.client("sts", regions[0] if regions else None, self._endpoint)
        try:
            answer = sts.assume_role(
                RoleArn=role_arn, RoleSessionName="cloudoptim-verify", ExternalId=external_id,
                DurationSeconds=self._seconds,
            )  # fmt: skip
        except (ClientError, BotoCoreError) as exc:
            return Verification(False, {}, (f"AssumeRole {role_arn} refused: {_code(exc)}",))
        raw = answer["Credentials"]
        keys = clients.Credentials(raw["AccessKeyId"], raw["SecretAccessKey"], raw["SessionToken"])
        checks: dict[str, bool] = {}
        reasons: list[str] = []
        for region in regions:
            for service, name, probe in CHECKS:
                label = f"{name} ({region})"
                try:
                    probe(clients.client(service, region, self._endpoint, keys))
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
