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


def test_registered_accounts_may_put_only_the_four_notices_on_the_bus() -> None:
    from aws_cdk import App, Duration, Stack
    from aws_cdk.assertions import Template

    from cdk.constructs.events import InterruptionEvents
    from cloudoptim.onboarding import bus_statement

    stack = Stack(App(), "Events")
    accounts = ("111111111111", "222222222222")
    InterruptionEvents(stack, "Events", customer_accounts=accounts, visibility_timeout=Duration.seconds(30))
    policies: Mapping[str, Any] = Template.from_stack(stack).find_resources("AWS::Events::EventBusPolicy")
    statements = {p["Properties"]["StatementId"]: p["Properties"]["Statement"] for p in policies.values()}
    # one statement per account, as registration adds (CDK prefixes its statement ids with "cdk-")
    assert set(statements) == {f"cdk-account-{a}" for a in accounts}
    for account in accounts:
        statement = statements[f"cdk-account-{account}"]
        assert statement["Action"] == "events:PutEvents"
        assert statement["Resource"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
        assert account in str(statement["Principal"]["AWS"])
        assert statement["Condition"] == bus_statement(account, "arn")["Condition"]
        assert statement["Condition"]["StringEquals"]["events:source"] == ["aws.ec2", "aws.health"]
