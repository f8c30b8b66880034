"""The API in the SaaS template: REST API with the Cognito authorizer on every method but health, WAF, throttling,
access logs, the hourly checkpoint, the signing key, and least-privilege grants (no Scan, no Update or Delete on
Audit)."""

from __future__ import annotations

from typing import Any

from tests.infrastructure.conftest import SynthesizedSaas
from tests.infrastructure.test_saas_iam import access


def methods(saas: SynthesizedSaas) -> dict[str, dict[str, Any]]:
    return saas.resources("AWS::ApiGateway::Method")


def test_every_method_but_health_has_the_cognito_authorizer(saas: SynthesizedSaas) -> None:
    found = methods(saas)
    public = [lid for lid, m in found.items() if m["Properties"]["AuthorizationType"] == "NONE"]
    assert len(public) == 1 and "health" in public[0].lower() and found[public[0]]["Properties"]["HttpMethod"] == "GET"
    protected = [m for lid, m in found.items() if lid not in public]
    assert protected and all(m["Properties"]["AuthorizationType"] == "COGNITO_USER_POOLS" for m in protected)
    (authorizer,) = saas.resources("AWS::ApiGateway::Authorizer").values()
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"


def test_the_stage_throttles_logs_access_and_traces(saas: SynthesizedSaas) -> None:
    (stage,) = saas.resources("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    settings = props["MethodSettings"][0]
    assert settings["ThrottlingRateLimit"] == 50 and settings["ThrottlingBurstLimit"] == 100
    assert props["AccessLogSetting"]["DestinationArn"] and "$context.status" in props["AccessLogSetting"]["Format"]
    assert props["TracingEnabled"] is True


def test_a_waf_web_acl_guards_the_stage(saas: SynthesizedSaas) -> None:
    acl = saas.properties("ApiWebAcl")
    names = {rule["Name"] for rule in acl["Rules"]}
    assert names == {"RatePerIp", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    (association,) = saas.resources("AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["ApiWebAcl", "Arn"]}


def test_users_carry_tenant_and_role_that_the_console_cannot_write(saas: SynthesizedSaas) -> None:
    pool = saas.properties("UserPool")
    custom = {a["Name"] for a in pool["Schema"]}
    assert {"tenant_id", "role"} <= custom and pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "ON"
    (client,) = saas.resources("AWS::Cognito::UserPoolClient").values()
    assert not [a for a in client["Properties"]["WriteAttributes"] if a.startswith("custom:")]


def test_the_api_never_scans_and_never_rewrites_the_audit_log(saas: SynthesizedSaas) -> None:
    for function in ("ApiFunction", "AuditCheckpointFunction"):
        granted = access(saas, function)
        everything = set().union(*granted.values())
        assert not {a for a in everything if a.endswith(("Scan", "UpdateItem", "BatchWriteItem"))}, function
        audit = granted.get("Audit", set())
        assert "dynamodb:DeleteItem" not in audit and "dynamodb:PutItem" in audit


def test_checkpoints_are_signed_hourly_with_an_asymmetric_key(saas: SynthesizedSaas) -> None:
    key = saas.properties("AuditSigningKey")
    assert (key["KeySpec"], key["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    rules = [r for r in saas.resources("AWS::Events::Rule").values() if "ScheduleExpression" in r["Properties"]]
    assert any(r["Properties"]["ScheduleExpression"] == "rate(1 hour)" for r in rules)
    assert "kms:Sign" in access(saas, "AuditCheckpointFunction").get("AuditSigningKey", set())
    assert "kms:Sign" not in access(saas, "ApiFunction").get("AuditSigningKey", set())
