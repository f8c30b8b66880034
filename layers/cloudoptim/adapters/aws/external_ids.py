"""`ExternalIds` in Secrets Manager (`cloudoptim/<tenant>/account/<account>/external-id`): 256 random bits made
by CloudOptim, readable only by the functions that assume customer roles (their policies name the prefix)."""

from __future__ import annotations

import secrets
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.errors import NotFoundError


def secret_name(tenant: str, aws_account_id: str) -> str:
    return f"cloudoptim/{tenant}/account/{aws_account_id}/external-id"


def new_external_id() -> str:
    """43 URL-safe characters = 256 random bits (the issue asks for at least 128)."""
    return secrets.token_urlsafe(32)


class SecretsExternalIds:
    def __init__(self, secrets_client: Any) -> None:
        self._secrets = secrets_client

    def create(self, tenant: str, aws_account_id: str) -> str:
        name = secret_name(tenant, aws_account_id)
        value = new_external_id()
        tags = [{"Key": "cloudoptim:tenant", "Value": tenant}]
        try:
            self._secrets.create_secret(Name=name, SecretString=value, Tags=tags)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceExistsException":
                return self.read(tenant, aws_account_id)  # a retried onboarding keeps its id
            raise translate(exc, f"CreateSecret {name}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"CreateSecret {name}") from exc
        return value

    def read(self, tenant: str, aws_account_id: str) -> str:
        name = secret_name(tenant, aws_account_id)
        try:
            return str(self._secrets.get_secret_value(SecretId=name)["SecretString"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise NotFoundError(f"no ExternalId for account {aws_account_id}") from None
            raise translate(exc, f"GetSecretValue {name}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"GetSecretValue {name}") from exc

    def delete(self, tenant: str, aws_account_id: str) -> None:
        name = secret_name(tenant, aws_account_id)
        try:
            self._secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in (
                "ResourceNotFoundException",
                "InvalidRequestException",
            ):
                raise translate(exc, f"DeleteSecret {name}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"DeleteSecret {name}") from exc
