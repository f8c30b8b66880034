"""The SaaS bus's resource policy, one statement per registered customer account (events:PutPermission).

The statement lets the account put only the notices CloudOptim handles: source `aws.ec2` or `aws.health` and the
four detail types (cloudoptim.onboarding.bus_statement). The policy is read, the account's statement set, and the
whole policy written back, so statements of other accounts (and those CDK deployed) are kept.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.onboarding import bus_statement


class EventBusPolicy:
    def __init__(self, client: Any, bus_name: str) -> None:
        self._events = client
        self._bus = bus_name

    def allow_account(self, account_id: str) -> None:
        try:
            bus = self._events.describe_event_bus(Name=self._bus)
            policy = json.loads(bus.get("Policy") or '{"Version": "2012-10-17", "Statement": []}')
            statement = bus_statement(account_id, str(bus["Arn"]))
            kept = [s for s in policy.get("Statement", []) if s.get("Sid") != statement["Sid"]]
            policy["Statement"] = [*kept, statement]
            self._events.put_permission(EventBusName=self._bus, Policy=json.dumps(policy))
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"PutPermission on {self._bus} for {account_id}") from exc

    def statements(self) -> list[dict[str, Any]]:
        """The bus policy's statements (for checks and tests)."""
        try:
            bus = self._events.describe_event_bus(Name=self._bus)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"DescribeEventBus {self._bus}") from exc
        found: list[dict[str, Any]] = json.loads(bus.get("Policy") or "{}").get("Statement", [])
        return found
