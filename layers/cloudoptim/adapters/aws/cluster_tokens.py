"""`ClusterTokens`: service-account tokens in Secrets Manager at `cloudoptim/<tenant>/<cluster>/token`, the prefix
the Kubernetes-facing functions may read (docs/platform-contract.md)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate


def secret_name(tenant: str, cluster: str) -> str:
    return f"cloudoptim/{tenant}/{cluster}/token"


class SecretsClusterTokens:
    def __init__(self, secrets: Any) -> None:
        self._secrets = secrets

    def put(self, tenant: str, cluster: str, token: str) -> str:
        name = secret_name(tenant, cluster)
        tags = [{"Key": "cloudoptim:tenant", "Value": tenant}, {"Key": "cloudoptim:cluster", "Value": cluster}]
        try:
            created = self._secrets.create_secret(Name=name, SecretString=token, Tags=tags)
            return str(created["ARN"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceExistsException":
                raise translate(exc, f"CreateSecret {name}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"CreateSecret {name}") from exc
        try:
            return str(self._secrets.put_secret_value(SecretId=name, SecretString=token)["ARN"])
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"PutSecretValue {name}") from exc

    def delete(self, tenant: str, cluster: str) -> None:
        name = secret_name(tenant, cluster)
        try:
            # a removed cluster's token is not kept for recovery: a credential nobody should use again
            self._secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in (
                "ResourceNotFoundException",
                "InvalidRequestException",
            ):
                raise translate(exc, f"DeleteSecret {name}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"DeleteSecret {name}") from exc
