"""The DrainAndReplace definition: valid JSON, the contract's substitutions, every task retried with jitter and
caught, waits parameterised, a timeout, and moto's interpreter accepts it. (Its behaviour is exercised by
tests/functional/test_drain_state_machine.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ASL = Path(__file__).resolve().parents[2] / "statemachines" / "drain_and_replace.asl.json"
SUBSTITUTIONS = {
    "ChooseReplacementFunctionArn", "LaunchReplacementFunctionArn", "NodeStatusFunctionArn",
    "CordonNodeFunctionArn", "EvictPodsFunctionArn", "RecordOutcomeFunctionArn", "TerminateReplacementFunctionArn",
}  # fmt: skip


def _states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for name, state in states.items():
        yield name, state, states
        for branch in state.get("Branches", []):
            yield from _states(branch["States"])


def test_definition_uses_exactly_the_contract_substitutions() -> None:
    text = ASL.read_text()
    json.loads(text)
    assert set(re.findall(r"\$\{(\w+)\}", text)) == SUBSTITUTIONS


def test_every_task_retries_transient_errors_and_crashes_with_full_jitter_and_catches_the_rest() -> None:
    definition = json.loads(ASL.read_text())
    tasks = [(n, s, scope) for n, s, scope in _states(definition["States"]) if s["Type"] == "Task"]
    assert len(tasks) >= 12
    for name, state, scope in tasks:
        retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
        assert {"TransientAwsError", "Lambda.ServiceException", "Runtime.ExitError", "Sandbox.Timedout"} <= retried
        assert all(r["JitterStrategy"] == "FULL" and r["MaxDelaySeconds"] <= 10 for r in state["Retry"]), name
        [catch] = state["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"] and catch["Next"] in scope, name


def test_failures_end_in_record_failure_then_fail() -> None:
    states = json.loads(ASL.read_text())["States"]
    assert states["RecordFailure"]["Resource"] == "${RecordOutcomeFunctionArn}"
    assert states["RecordFailure"]["Next"] == "Failed" and states["Failed"]["Type"] == "Fail"
    assert states["DrainWhileLaunching"]["Catch"][0]["Next"] == "RecordFailure"


def test_waits_read_the_input_wait_seconds() -> None:
    definition = json.loads(ASL.read_text())
    waits = [s for _, s, _ in _states(definition["States"]) if s["Type"] == "Wait"]
    assert waits and all(s == {"Type": "Wait", "SecondsPath": "$.wait_seconds", "Next": s["Next"]} for s in waits)


def test_routes_by_kind() -> None:
    route = json.loads(ASL.read_text())["States"]["RouteByKind"]
    targets = {c["StringEquals"]: c["Next"] for c in route["Choices"]}
    assert targets == {
        "interruption": "DrainWhileLaunching", "rebalance": "ChooseReplacement",
        "scheduled-change": "ChooseReplacement",
    }  # fmt: skip
    assert route["Default"] == "RecordOutcome"


def test_the_whole_execution_has_a_timeout() -> None:
    assert json.loads(ASL.read_text())["TimeoutSeconds"] == 1800


def test_a_replacement_not_ready_in_time_is_terminated_on_both_paths() -> None:
    definition = json.loads(ASL.read_text())
    choices = {n: s for n, s, _ in _states(definition["States"]) if s["Type"] == "Choice" and "Ready" in n}
    assert set(choices) == {"ReplacementReady", "BranchReplacementReady"}
    for choice in choices.values():
        timeout = next(c["Next"] for c in choice["Choices"] if c["StringEquals"] == "timeout")
        state = next(s for n, s, _ in _states(definition["States"]) if n == timeout)
        assert state["Resource"] == "${TerminateReplacementFunctionArn}"


def test_moto_parses_the_definition_with_its_jitter_and_timeout() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    arn = "arn:aws:lambda:eu-west-1:123456789012:function:step"
    program: Any = AmazonStateLanguageParser.parse(re.sub(r"\$\{\w+\}", arn, ASL.read_text()))[0]
    assert program.timeout_seconds is not None and program.timeout_seconds.timeout_seconds == 1800
