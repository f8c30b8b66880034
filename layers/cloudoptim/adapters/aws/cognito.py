"""`Directory` over a Cognito user pool: users carry `custom:tenant_id` and `custom:role`, which only this
(administrator) path writes; the app client cannot."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.errors import ConflictError


class CognitoDirectory:
    def __init__(self, cognito: Any, user_pool_id: str) -> None:
        self._cognito = cognito
        self._pool = user_pool_id

    def invite(self, tenant: str, email: str, role: str) -> str:
        attributes = [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "custom:tenant_id", "Value": tenant},
            {"Name": "custom:role", "Value": role},
        ]
        try:
            created = self._cognito.admin_create_user(
                UserPoolId=self._pool, Username=email, UserAttributes=attributes, DesiredDeliveryMediums=["EMAIL"]
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "UsernameExistsException":
                raise ConflictError(f"{email} already has a CloudOptim login") from None
            raise translate(exc, "AdminCreateUser") from exc
        except BotoCoreError as exc:
            raise translate(exc, "AdminCreateUser") from exc
        user = created["User"]
        found = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
        return str(found.get("sub") or user["Username"])

    def set_role(self, tenant: str, subject: str, role: str) -> None:
        self._call("admin_update_user_attributes", subject, UserAttributes=[{"Name": "custom:role", "Value": role}])

    def remove(self, tenant: str, subject: str) -> None:
        self._call("admin_delete_user", subject)

    def _call(self, operation: str, subject: str, **params: Any) -> None:
        try:
            username = self._username(subject)
            getattr(self._cognito, operation)(UserPoolId=self._pool, Username=username, **params)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, operation) from exc

    def _username(self, subject: str) -> str:
        found = self._cognito.list_users(UserPoolId=self._pool, Filter=f'sub = "{subject}"', Limit=1)["Users"]
        return str(found[0]["Username"]) if found else subject
