"""The execution workflows in the SaaS template (issue 14): execute_step with exactly what it calls, the Execute
state machine invoking only it, the API starting it, and the sweep started by name."""

from __future__ import annotations

from cdk.settings import EXECUTE_ASL
from tests.infrastructure.conftest import SynthesizedSaas
from tests.infrastructure.test_saas_iam import XRAY, _statements, _target, grants
from tests.infrastructure.test_saas_scheduled import AUDIT, DOCUMENTS, TENANT

EXPECTED = {("Registry", DOCUMENTS | {"dynamodb:BatchGetItem"}, "TENANT#*"),  # a tenant: record and settings at once
            ("Registry", frozenset({"dynamodb:PutItem"}), "INSTANCE#*"),
            ("Audit", AUDIT, "TENANT#*"), *TENANT,
            ("CloudOptimSweep", frozenset({"states:StartExecution"}), None)}  # fmt: skip


def test_execute_step_gets_exactly_what_it_calls(saas: SynthesizedSaas) -> None:
    plumbing, found = grants(saas, "ExecuteStepFunction")
    assert plumbing == XRAY | {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert found == EXPECTED
    role = saas.properties("ExecuteStepFunction")["Role"]["Fn::GetAtt"][0]
    assert saas.template["Resources"][role]["Properties"]["Path"] == "/cloudoptim/tenant-access/"


def test_the_step_function_is_the_only_thing_execute_invokes(saas: SynthesizedSaas) -> None:
    machine = saas.properties("Execute")
    assert machine["StateMachineName"] == "CloudOptimExecute"
    assert machine["DefinitionSubstitutions"] == {
        "ExecuteStepFunctionArn": {"Fn::GetAtt": ["ExecuteStepFunction", "Arn"]}
    }
    assert machine["DefinitionString"] == EXECUTE_ASL.read_text()
    role = machine["RoleArn"]["Fn::GetAtt"][0]
    invoked = {_target(r) for s in _statements(saas, role) if s["Action"] == "lambda:InvokeFunction"
               for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])}  # fmt: skip
    assert invoked == {"ExecuteStepFunction"}
    api = saas.properties("ApiFunction")["Environment"]["Variables"]
    assert api["EXECUTION_STATE_MACHINE_ARN"] == {"Ref": "Execute"} and "CloudOptimSweep" in str(
        api["SWEEP_STATE_MACHINE_ARN"]
    )
    step = saas.properties("ExecuteStepFunction")["Environment"]["Variables"]
    assert step["EXECUTE_WAIT_SECONDS"] == "30" and step["SWEEP_STATE_MACHINE_ARN"] == api["SWEEP_STATE_MACHINE_ARN"]
