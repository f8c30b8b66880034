"""Start DrainAndReplace; an execution with the same name already running or done is a duplicate."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate


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

    def __init__(self, client: Any, sweep_arn: str, execution_arn: str) -> None:
        self._sweeps = SfnExecutions(client, sweep_arn)
        self._executions = SfnExecutions(client, execution_arn)

    def start_sweep(self, name: str, payload: Mapping[str, Any]) -> str:
        return self._sweeps.start(_name(name), payload)

    def start_execution(self, name: str, payload: Mapping[str, Any]) -> str:
        return self._executions.start(_name(name), payload)


def _name(record_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in record_id)[:80]
