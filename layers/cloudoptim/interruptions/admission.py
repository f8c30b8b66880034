"""Is a notice what it claims to be? Its source must be the AWS service that emits its kind, and its account and
region those of the tenant its instance resolves to (customer EventBridge rules keep both when forwarding).

>>> from engines.interruption.events import Notice, SPOT_INTERRUPTION
>>> forged = ReceivedNotice("e1", "999999999999", "eu-west-1", Notice(SPOT_INTERRUPTION, "i-1", 0), "aws.ec2")
>>> origin_refusal(forged, TenantRecord("acme", "111122223333", "arn:aws:iam::111122223333:role/x", ("eu-west-1",)),
...                "eu-west-1")
"sent from account 999999999999, not tenant acme's account 111122223333"
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cloudoptim.interruptions.notices import ReceivedNotice
from cloudoptim.interruptions.ports import TenantRecord
from engines.interruption.events import HEALTH, REBALANCE, SPOT_INTERRUPTION, STATE_CHANGE

SOURCE_OF: Mapping[str, str] = MappingProxyType(
    {SPOT_INTERRUPTION: "aws.ec2", REBALANCE: "aws.ec2", STATE_CHANGE: "aws.ec2", HEALTH: "aws.health"}
)


def source_refusal(received: ReceivedNotice) -> str | None:
    """Only EC2 emits EC2 notices and only AWS Health emits Health events; anyone may put a custom source."""
    expected = SOURCE_OF.get(received.notice.detail_type)
    if expected is not None and received.source != expected:
        return f"source {received.source!r} does not emit {received.notice.detail_type!r} (only {expected} does)"
    return None


def origin_refusal(received: ReceivedNotice, tenant: TenantRecord, region: str) -> str | None:
    """The event must come from the tenant's own account, from the instance's region, one of the tenant's."""
    if not received.account:
        return "the event names no account: EventBridge always sets it, so it was not forwarded by a tenant's rule"
    if received.account != tenant.account_id:
        return f"sent from account {received.account}, not tenant {tenant.tenant_id}'s account {tenant.account_id}"
    if received.region != region:
        return f"sent from region {received.region}, but the instance runs in {region}"
    if tenant.regions and received.region not in tenant.regions:
        return f"region {received.region} is not one of tenant {tenant.tenant_id}'s regions"
    return None
