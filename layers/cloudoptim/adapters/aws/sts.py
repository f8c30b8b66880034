"""A session per tenant from its role (sts:AssumeRole with the tenant's ExternalId), cached until
shortly before the credentials expire."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.clients import Credentials, TenantSession, client
from cloudoptim.adapters.aws.errors import translate
from cloudoptim.interruptions.ports import TenantRecord

REFRESH_MARGIN_SECONDS = 300


class StsSessions:
    def __init__(
        self,
        sts_client: Any | None = None,
        endpoint_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sts = sts_client or client("sts", endpoint_url=endpoint_url)
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[TenantSession, float]] = {}

    def session(self, tenant: TenantRecord, region: str) -> TenantSession:
        cached = self._cache.get((tenant.tenant_id, region))
        if cached is not None and cached[1] - REFRESH_MARGIN_SECONDS > self._clock():
            return cached[0]
        try:
            answer = self._sts.assume_role(
                RoleArn=tenant.role_arn,
                RoleSessionName=f"cloudoptim-{tenant.tenant_id}"[:64],
                ExternalId=tenant.external_id,
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"AssumeRole {tenant.role_arn}") from exc
        creds = answer["Credentials"]
        keys = Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        session = TenantSession(keys, region)
        expires = creds["Expiration"].timestamp() if hasattr(creds["Expiration"], "timestamp") else 0.0
        self._cache[(tenant.tenant_id, region)] = (session, expires)
        return session
