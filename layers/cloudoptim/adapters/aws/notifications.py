"""The notification ports on AWS: SES (v2) for the weekly email, Secrets Manager for webhook URLs, EventBridge for
the alerts the API announces."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.errors import AwsAdapterError, RecordNotFoundError
from cloudoptim.interruptions.ports import NodeRecord
from cloudoptim.notifications.alerts import INTERRUPTIONS_SOURCE, POOL_ESCALATED
from cloudoptim.notifications.templates import Email
from engines.interruption.hive import Escalation


def webhook_secret_name(tenant: str) -> str:
    return f"cloudoptim/{tenant}/webhook"


class SesMailer:
    """`sesv2:SendEmail` from the verified sender (the function may send from that identity only)."""

    def __init__(self, ses: Any, sender: str) -> None:
        self._ses = ses
        self._sender = sender

    def send(self, recipients: Sequence[str], message: Email) -> str:
        content = {
            "Simple": {
                "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"},
                         "Html": {"Data": message.html, "Charset": "UTF-8"}},
            }
        }  # fmt: skip
        try:
            sent = self._ses.send_email(
                FromEmailAddress=self._sender, Destination={"ToAddresses": list(recipients)}, Content=content
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "SES SendEmail") from exc
        return str(sent["MessageId"])


class SecretsWebhooks:
    """Webhook URLs at `cloudoptim/<tenant>/webhook`, tagged with the tenant."""

    def __init__(self, secrets: Any) -> None:
        self._secrets = secrets

    def put(self, tenant: str, url: str) -> str:
        name = webhook_secret_name(tenant)
        try:
            self._secrets.create_secret(
                Name=name, SecretString=url, Tags=[{"Key": "cloudoptim:tenant", "Value": tenant}]
            )
            return name
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceExistsException":
                raise translate(exc, f"CreateSecret {name}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"CreateSecret {name}") from exc
        try:
            self._secrets.put_secret_value(SecretId=name, SecretString=url)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"PutSecretValue {name}") from exc
        return name

    def get(self, name: str) -> str:
        try:
            return str(self._secrets.get_secret_value(SecretId=name)["SecretString"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise RecordNotFoundError(f"webhook secret {name} is missing: save the webhook again") from exc
            raise translate(exc, f"GetSecretValue {name}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"GetSecretValue {name}") from exc

    def delete(self, tenant: str) -> None:
        name = webhook_secret_name(tenant)
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


class EventBridgeAlerts:
    """PutEvents on the account's default bus, where Step Functions' status changes arrive too (one rule set)."""

    def __init__(self, events: Any, bus: str = "default") -> None:
        self._events = events
        self._bus = bus

    def publish(self, source: str, detail_type: str, detail: Mapping[str, Any]) -> None:
        entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": self._bus}
        try:
            answer = self._events.put_events(Entries=[entry])
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"PutEvents {detail_type}") from exc
        if answer.get("FailedEntryCount"):
            failed = answer["Entries"][0]
            raise AwsAdapterError(f"PutEvents {detail_type}: {failed.get('ErrorCode')} {failed.get('ErrorMessage')}")


class EventBridgePoolAlerts:
    """rebalance_pool's alerts: one "CloudOptim Pool Escalated" per tenant with nodes in the pool, from
    cloudoptim.interruptions on the default bus, where notify_event's rule takes it (docs/notifications.md). A failed
    put raises, so the escalation message is retried; notify_event delivers each (tenant, pool, day) once."""

    def __init__(self, alerts: EventBridgeAlerts) -> None:
        self._alerts = alerts

    def escalated(self, tenant_id: str, level: Escalation, nodes: Sequence[NodeRecord]) -> None:
        reasons = [
            f"{level.customers} customer(s) and {level.interruptions} interruption(s) in this pool in the last "
            "60 minutes: CloudOptim moves your nodes out as your policy allows"
        ]
        detail = {
            "tenant_id": tenant_id, "region": level.pool.region, "az_id": level.pool.az_id,
            "instance_type": level.pool.instance_type, "level": level.level,
            "nodes": sorted(n.node_name for n in nodes), "reasons": reasons,
        }  # fmt: skip
        self._alerts.publish(INTERRUPTIONS_SOURCE, POOL_ESCALATED, detail)
