"""A small runner of the project's ASL for functional tests: Task (Lambda ARN or Parameters with `.$` paths), Choice
(StringEquals, BooleanEquals), Wait (not slept), Pass, Succeed, Fail, Retry on the error's class name and Catch into
a ResultPath. Local mode and the e2e tests run the same files in moto's real interpreter."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

Invoke = Callable[[str, Any], Any]  # (resource, input) -> output


def _path(document: Any, path: str) -> Any:
    value = document
    for part in [p for p in path.removeprefix("$").split(".") if p]:
        value = value[part]
    return value


def _parameters(template: Mapping[str, Any], state: Any) -> dict[str, Any]:
    return {
        (k[:-2] if k.endswith(".$") else k): (_path(state, v) if k.endswith(".$") else v) for k, v in template.items()
    }


def _choose(state: Mapping[str, Any], choices: list[Mapping[str, Any]], default: str) -> str:
    for choice in choices:
        value = _path(state, choice["Variable"]) if _has(state, choice["Variable"]) else None
        if ("StringEquals" in choice and value == choice["StringEquals"]) or (
            "BooleanEquals" in choice and value is choice["BooleanEquals"]
        ):
            return str(choice["Next"])
    return default


def _has(state: Mapping[str, Any], path: str) -> bool:
    try:
        _path(state, path)
    except (KeyError, TypeError):
        return False
    return True


def run(
    definition: Path, state: dict[str, Any], invoke: Invoke, max_steps: int = 500
) -> tuple[str, dict[str, Any], list[str]]:
    """(status, final state, visited states): status SUCCEEDED or FAILED."""
    machine = json.loads(definition.read_text())
    name, visited = machine["StartAt"], []
    for _ in range(max_steps):
        visited.append(name)
        spec = machine["States"][name]
        kind = spec["Type"]
        if kind == "Succeed":
            return "SUCCEEDED", state, visited
        if kind == "Fail":
            return "FAILED", state, visited
        if kind == "Choice":
            name = _choose(state, spec["Choices"], spec["Default"])
            continue
        if kind == "Task":
            given = _parameters(spec["Parameters"], state) if "Parameters" in spec else copy.deepcopy(state)
            try:
                state = invoke(spec["Resource"], given)
            except Exception as exc:  # Catch as Step Functions does: the error's class name
                catch = next((c for c in spec.get("Catch", []) if "States.ALL" in c["ErrorEquals"]), None)
                if catch is None:
                    raise
                state = {
                    **state,
                    catch["ResultPath"].removeprefix("$."): {"Error": type(exc).__name__, "Cause": str(exc)},
                }
                name = catch["Next"]
                continue
        name = spec.get("Next", name)
    raise RuntimeError(f"{definition.name}: more than {max_steps} states")
