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
