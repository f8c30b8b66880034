"""CDK context -> AppSettings, and the bus policy for customer accounts known at deploy time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import ValidationError

from cdk.settings import AppSettings


def test_context_values_arrive_as_text_from_the_cli() -> None:
    settings = AppSettings.from_context({"bundle": "false", "customer_accounts": "111111111111, 222222222222"})
    assert settings.bundle is False
    assert settings.customer_accounts == ("111111111111", "222222222222")


def test_a_bad_customer_account_is_refused() -> None:
    with pytest.raises(ValidationError, match="12-digit"):
        AppSettings.from_context({"customer_accounts": ["12345"]})


def test_registered_accounts_may_put_events_on_the_bus() -> None:
    from aws_cdk import App, Duration, Stack
    from aws_cdk.assertions import Template

    from cdk.constructs.events import InterruptionEvents

    stack = Stack(App(), "Events")
    accounts = ("111111111111", "222222222222")
    InterruptionEvents(stack, "Events", customer_accounts=accounts, visibility_timeout=Duration.seconds(180))
    policies: Mapping[str, Any] = Template.from_stack(stack).find_resources("AWS::Events::EventBusPolicy")
    (policy,) = policies.values()
    statement = policy["Properties"]["Statement"]
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
    principals = statement["Principal"]["AWS"]
    assert len(principals) == 2 and all(a in str(principals) for a in accounts)
