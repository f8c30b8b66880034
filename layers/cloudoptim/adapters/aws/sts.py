"""A session per tenant, region and purpose from the tenant's role, cached until shortly before it expires.

The cache lives as long as the warm Lambda container. Its key holds the tenant id *and* the role ARN (a tenant's
second account has a role of its own), so a tenant's cache never serves another tenant or account; an entry is
replaced REFRESH_MARGIN_SECONDS before its credentials expire (never used expired), a failed AssumeRole caches
nothing, and `forget` drops a tenant's sessions when a call says its credentials no longer work.

Each AssumeRole carries the tenant's ExternalId (read from Secrets Manager, where only the assume-role path may
look), a session tag naming the tenant (the customer's trust policy requires it) and a session policy holding only
the purpose's actions (cloudoptim.tenancy.actions): the session can do no more than what its caller needs, whatever
the role allows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.clients import Credentials, TenantSession, client
from cloudoptim.adapters.aws.errors import translate
from cloudoptim.interruptions.ports import TenantRecord
from cloudoptim.onboarding import TENANT_TAG
from cloudoptim.tenancy.actions import SESSION_ACTIONS, Purpose
from cloudoptim.tenancy.ports import ExternalIds

REFRESH_MARGIN_SECONDS = 300


def session_policy(purpose: Purpose) -> str:
    """The inline session policy of a purpose (JSON); IAM intersects it with the role's own policy."""
    statement = {"Effect": "Allow", "Action": list(SESSION_ACTIONS[purpose]), "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))


class StsSessions:
    def __init__(
        self,
        external_ids: ExternalIds,
        sts_client: Any | None = None,
        endpoint_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._external_ids = external_ids
        self._sts = sts_client or client("sts", endpoint_url=endpoint_url)
        self._clock = clock
        self._cache: dict[tuple[str, str, str, str], tuple[TenantSession, float]] = {}

    def session(self, tenant: TenantRecord, region: str, purpose: Purpose) -> TenantSession:
        key = (tenant.tenant_id, tenant.role_arn, region, purpose)
        cached = self._cache.get(key)
        if cached is not None and cached[1] - REFRESH_MARGIN_SECONDS > self._clock():
            return cached[0]
        try:
            answer = self._sts.assume_role(
                RoleArn=tenant.role_arn,
                RoleSessionName=f"cloudoptim-{purpose}-{tenant.tenant_id}"[:64],
                ExternalId=self._external_ids.get(tenant.tenant_id),
                Policy=session_policy(purpose),
                Tags=[{"Key": TENANT_TAG, "Value": tenant.tenant_id}],
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"AssumeRole {tenant.role_arn}") from exc
        creds = answer["Credentials"]
        keys = Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        session = TenantSession(keys, region)
        expires = creds["Expiration"].timestamp() if hasattr(creds["Expiration"], "timestamp") else 0.0
        self._cache[key] = (session, expires)
        return session

    def forget(self, tenant_id: str) -> None:
        """Drop every cached session (and its clients) of a tenant: the next call assumes the role again."""
        for key in [k for k in list(self._cache) if k[0] == tenant_id]:
            self._cache.pop(key, None)

    def verify(self, tenant: TenantRecord) -> None:
        """`RoleCheck`: the role can be assumed with the tenant's ExternalId (registration proves the template)."""
        self.session(tenant, tenant.regions[0] if tenant.regions else "us-east-1", "locate")
