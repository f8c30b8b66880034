"""The moto runtime patches of local mode, with a throwaway handler (tests/e2e/fake_functions/echo.py)."""

from __future__ import annotations

import io
import json
import os
import threading
import time
import zipfile
from typing import Any

import pytest

from localmode.environ import environment_overlay
from localmode.stack import LocalStack
from localmode.ttl import sweep_table

ECHO = "tests/e2e/fake_functions/echo.handler"


def test_overlays_are_private_to_their_thread() -> None:
    seen: dict[str, str | None] = {}

    def run(name: str) -> None:
        with environment_overlay({"CLOUDOPTIM_PROBE": name}):
            time.sleep(0.05)
            seen[name] = os.environ.get("CLOUDOPTIM_PROBE")

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"a": "a", "b": "b"}
    assert "CLOUDOPTIM_PROBE" not in os.environ


@pytest.fixture(scope="module")
def echo_arn(local_stack: LocalStack) -> str:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("README.txt", "runs in-process")
    role = local_stack.aws.client("iam").create_role(RoleName="echo-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    created = local_stack.aws.client("lambda").create_function(
        FunctionName="echo",
        Runtime="python3.12",
        Role=role,
        Handler=ECHO,
        Code={"ZipFile": archive.getvalue()},
        Environment={"Variables": {"TABLE": "echo-table"}},
    )
    return str(created["FunctionArn"])


def _invoke(stack: LocalStack, event: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    answer = stack.aws.client("lambda").invoke(FunctionName="echo", Payload=json.dumps(event))
    return answer.get("FunctionError"), json.loads(answer["Payload"].read())


def test_invoke_runs_the_handler_with_its_deployed_environment(local_stack: LocalStack, echo_arn: str) -> None:
    error, payload = _invoke(local_stack, {"hello": 1})
    assert error is None
    assert payload == {"event": {"hello": 1}, "table": "echo-table", "function": "echo"}


def test_handler_errors_come_back_as_lambda_errors(local_stack: LocalStack, echo_arn: str) -> None:
    error, payload = _invoke(local_stack, {"fail": "boom"})
    assert error is not None
    assert payload["errorType"] == "ValueError" and payload["errorMessage"] == "boom"


def test_step_functions_retry_and_catch_match_the_error_type(local_stack: LocalStack, echo_arn: str) -> None:
    task = {
        "Type": "Task",
        "Resource": echo_arn,
        "Retry": [{"ErrorEquals": ["ValueError"], "MaxAttempts": 1, "IntervalSeconds": 1}],
        "Catch": [{"ErrorEquals": ["ValueError"], "Next": "Caught"}],
        "End": True,
    }
    definition = {"StartAt": "Echo", "States": {"Echo": task, "Caught": {"Type": "Pass", "End": True}}}
    sfn = local_stack.aws.client("stepfunctions")
    role = local_stack.aws.client("iam").get_role(RoleName="echo-role")["Role"]["Arn"]
    machine = sfn.create_state_machine(name="echo-machine", definition=json.dumps(definition), roleArn=role)
    before = len([r for r in local_stack.aws.journal.records("fake_functions") if r.errored])
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], name="echo-fails", input=json.dumps({"fail": "x"})
    )
    deadline = time.time() + 20
    while (status := sfn.describe_execution(executionArn=execution["executionArn"])["status"]) == "RUNNING":
        assert time.time() < deadline
        time.sleep(0.2)
    assert status == "SUCCEEDED"  # caught after one retry
    assert len([r for r in local_stack.aws.journal.records("fake_functions") if r.errored]) - before == 2


def test_eventbridge_delivers_to_a_lambda_target(local_stack: LocalStack, echo_arn: str) -> None:
    events = local_stack.aws.client("events")
    events.put_rule(Name="echo-rule", EventPattern=json.dumps({"source": ["cloudoptim.test"]}))
    events.put_targets(Rule="echo-rule", Targets=[{"Id": "echo", "Arn": echo_arn}])
    before = local_stack.aws.journal.count("fake_functions")
    answer = events.put_events(Entries=[{"Source": "cloudoptim.test", "DetailType": "probe", "Detail": "{}"}])
    assert answer["FailedEntryCount"] == 0
    deadline = time.time() + 10
    while local_stack.aws.journal.count("fake_functions") == before:
        assert time.time() < deadline, "the Lambda target was never invoked"
        time.sleep(0.1)


def test_ttl_sweeper_deletes_only_expired_hive_mind_items(local_stack: LocalStack) -> None:
    assert local_stack.deployed is not None
    table = local_stack.deployed.tables["HIVE_MIND_TABLE"]
    dynamodb = local_stack.aws.client("dynamodb")
    now = time.time()
    for pool, expires in (("test#expired#m5.large", now - 5), ("test#live#m5.large", now + 600)):
        item = {"pool": {"S": pool}, "tenant_id": {"S": "sweep"}, "expires_at": {"N": str(int(expires))}}
        dynamodb.put_item(TableName=table, Item={**item, "flagged_at": {"N": str(int(now))}})
    sweep_table(dynamodb, table, now)
    left = {i["pool"]["S"] for i in dynamodb.scan(TableName=table)["Items"] if i["tenant_id"]["S"] == "sweep"}
    assert left == {"test#live#m5.large"}
