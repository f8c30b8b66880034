"""Step Functions' own service integration (`states:startExecution`, `.sync`, `.sync:2`) in moto's interpreter.

moto runs ASL with a port of LocalStack's interpreter, whose base class maps a task's Parameters to the SDK's member
names (`StateMachineArn` -> `stateMachineArn`) and the SDK's answer back to the ASL's case (`executionArn` ->
`ExecutionArn`). moto's port leaves both hooks empty, so a state machine that starts another (RetrainModel starts
ValidateModel and waits for it) fails with `States.Runtime` and the cause `'StateMachineArn'`. This fills the two
hooks for the Step Functions integration only, from botocore's own service model; real Step Functions does this.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import botocore.session
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)


@functools.cache
def _members(action: str) -> dict[str, str]:
    """`start_execution` -> {"statemachinearn": "stateMachineArn", ...}: the operation's input members by lower name."""
    model = botocore.session.get_session().get_service_model("stepfunctions")
    operation = model.operation_model("".join(part.capitalize() for part in action.split("_")))
    shape = operation.input_shape
    return {name.lower(): name for name in (shape.members if shape is not None else {})}


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


def install() -> Callable[[], None]:
    """Patch StateTaskServiceSfn's two hooks; returns the undo."""
    original_parameters = StateTaskServiceSfn._normalise_parameters
    original_response = StateTaskServiceSfn._normalise_response

    def normalise_parameters(
        self: Any, parameters: dict[str, Any], boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:  # fmt: skip
        original_parameters(self, parameters, boto_service_name, service_action_name)  # Input as JSON text
        members = _members(service_action_name or self._get_boto_service_action())
        for key in list(parameters):
            name = members.get(key.lower())
            if name is not None and name != key:
                parameters[name] = parameters.pop(key)

    def normalise_response(
        self: Any, response: Any, boto_service_name: str | None = None, service_action_name: str | None = None
    ) -> None:
        original_response(self, response, boto_service_name, service_action_name)
        if isinstance(response, dict):
            for key in list(response):
                if _pascal(key) != key:
                    response[_pascal(key)] = response.pop(key)

    StateTaskServiceSfn._normalise_parameters = normalise_parameters  # type: ignore[method-assign]
    StateTaskServiceSfn._normalise_response = normalise_response  # type: ignore[method-assign]

    def restore() -> None:
        StateTaskServiceSfn._normalise_parameters = original_parameters  # type: ignore[method-assign]
        StateTaskServiceSfn._normalise_response = original_response  # type: ignore[method-assign]

    return restore
