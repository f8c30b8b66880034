"""ExternalIds in Secrets Manager: one secret per tenant, `cloudoptim/<tenant>/external-id`.

Only the functions that assume tenant roles may read these secrets (cdk/constructs/interruptions.py); the Registry
item every function reads no longer carries the ExternalId.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.errors import RecordNotFoundError
from cloudoptim.onboarding import TENANT_TAG
from cloudoptim.tenancy.external_id import check_external_id, new_external_id

SECRET_PREFIX = "cloudoptim"


def external_id_secret(tenant_id: str) -> str:
    return f"{SECRET_PREFIX}/{tenant_id}/external-id"


class SecretsExternalIds:
    """`ExternalIds` over Secrets Manager, cached per container (an ExternalId never changes once issued)."""

    def __init__(self, client: Any) -> None:
        self._secrets = client
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def issue(self, tenant_id: str) -> str:
        name = external_id_secret(tenant_id)
        try:
            self._secrets.create_secret(
                Name=name,
                SecretString=new_external_id(),
                Description=f"ExternalId of CloudOptimAccess-{tenant_id} (sts:AssumeRole)",
                Tags=[{"Key": TENANT_TAG, "Value": tenant_id}],
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceExistsException":
                raise translate(exc, f"CreateSecret {name}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"CreateSecret {name}") from exc
        return self.get(tenant_id)

    def get(self, tenant_id: str) -> str:
        with self._lock:
            if tenant_id in self._cache:
                return self._cache[tenant_id]
        name = external_id_secret(tenant_id)
        try:
            value = str(self._secrets.get_secret_value(SecretId=name)["SecretString"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise RecordNotFoundError(
                    f"tenant {tenant_id!r} has no ExternalId: issue one with its template"
                ) from exc
            raise translate(exc, f"GetSecretValue {name}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"GetSecretValue {name}") from exc
        check_external_id(value)
        with self._lock:
            self._cache[tenant_id] = value
        return value
