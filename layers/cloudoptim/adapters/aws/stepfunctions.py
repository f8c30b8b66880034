"""Start DrainAndReplace; an execution with the same name already running or done is a duplicate."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.errors import AwsAdapterError


class SfnExecutions:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._sfn = client
        self._arn = state_machine_arn

    def start(self, name: str, payload: Mapping[str, object]) -> Literal["started", "duplicate"]:
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return "duplicate"
            raise translate(exc, f"StartExecution {name}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"StartExecution {name}") from exc
        return "started"


class SfnWorkflows:
    """`Workflows` (cloudoptim.optimization.ports): the sweep and execution state machines. Step Functions names
    allow [A-Za-z0-9-_], so the record ids' '.' become '_' in the execution name."""

    def __init__(self, client: Any, sweep_arn: str | None, execution_arn: str | None) -> None:
        self._sweeps = SfnExecutions(client, sweep_arn) if sweep_arn else None
        self._executions = SfnExecutions(client, execution_arn) if execution_arn else None

    def start_sweep(self, name: str, payload: Mapping[str, Any]) -> str:
        if self._sweeps is None:
            raise AwsAdapterError("the Sweep state machine is not deployed here (no SWEEP_STATE_MACHINE_ARN)")
        return self._sweeps.start(_name(name), payload)

    def start_execution(self, name: str, payload: Mapping[str, Any]) -> str:
        if self._executions is None:
            raise AwsAdapterError("the execution state machine is not deployed here (no EXECUTION_STATE_MACHINE_ARN)")
        return self._executions.start(_name(name), payload)


def _name(record_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in record_id)[:80]
