"""The API in the SaaS template: REST API with the Cognito authorizer on every method but health, WAF, throttling,
access logs, the hourly checkpoint, the signing key, and each function's exact grants (no Scan, no Update or Delete
on Audit, tenant roles only with a session tag)."""

from __future__ import annotations

from typing import Any

from tests.infrastructure.conftest import SynthesizedSaas
from tests.infrastructure.test_saas_iam import EXTERNAL_IDS, KEYED_READ, TENANT_ROLE, TOKENS, WEBHOOKS, XRAY, grants

SECRET_WRITES = frozenset({"secretsmanager:CreateSecret", "secretsmanager:TagResource"})
EXPECTED = {
    "ApiFunction": {
        ("Registry", KEYED_READ | {"dynamodb:PutItem", "dynamodb:DeleteItem"}, "TENANT#*,ACCOUNT#*"),
        ("Prices", frozenset({"dynamodb:GetItem", "dynamodb:Query"}), None),  # GET /v1/prices/stats (issue 15)
        # GET /v1/hive-mind (issue 16): Queries of the region index only, no Scan, no write
        ("HiveMind", frozenset({"dynamodb:DescribeTable"}), None),
        ("HiveMind/index/ByRegion", frozenset({"dynamodb:Query"}), None),
        ("Audit", frozenset({"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"}), "TENANT#*"),
        *TENANT_ROLE,
        (TOKENS, frozenset({"secretsmanager:GetSecretValue"}), None),
        (EXTERNAL_IDS, SECRET_WRITES, None),
        (TOKENS, SECRET_WRITES | {"secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"}, None),
        ("AuditSigningKey", frozenset({"kms:GetPublicKey"}), None),
        ("Execute", frozenset({"states:StartExecution"}), None),  # approve starts an execution (issue 14)
        ("CloudOptimSweep", frozenset({"states:StartExecution"}), None),  # POST /v1/clusters/{id}/sweeps
        ("Prices", frozenset({"dynamodb:GetItem", "dynamodb:Query"}), None),  # the price reads (scraping)
        ("EventBus", frozenset({"events:DescribeEventBus", "events:PutPermission"}), None),
        # the model registry's operator routes (issue 16): the document, shadow entries, artifacts, validation, and
        # the hive mind's interruption records the shadow report judges by
        ("Registry", frozenset({"dynamodb:GetItem", "dynamodb:PutItem"}), "MODELS*"),
        ("Registry", frozenset({"dynamodb:Query"}), "MODELSHADOW#*"),
        ("ModelArtifacts/models/*", frozenset({"s3:GetObject", "s3:PutObject"}), None),
        ("ValidateModel", frozenset({"states:StartExecution"}), None),
        ("HiveMind", frozenset({"dynamodb:Query"}), None),
        ("HiveMind/index/*", frozenset({"dynamodb:Query"}), None),
        # PUT /v1/notifications stores the webhook URL; a safe-mode switch is announced as cloudoptim.api only
        (WEBHOOKS, SECRET_WRITES | {"secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"}, None),
        ("DefaultBus", frozenset({"events:PutEvents"}), "events:source=cloudoptim.api"),
        (
            "UserPool",
            frozenset(
                {
                    "cognito-idp:AdminCreateUser",
                    "cognito-idp:AdminUpdateUserAttributes",
                    "cognito-idp:AdminDeleteUser",
                    "cognito-idp:ListUsers",
                }
            ),
            None,
        ),
    },
    "AuditCheckpointFunction": {
        ("Audit", frozenset({"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"}), "TENANT#*"),
        ("Registry", KEYED_READ, "TENANT#*"),
        ("AuditSigningKey", frozenset({"kms:Sign", "kms:GetPublicKey"}), None),
    },
}


def methods(saas: SynthesizedSaas) -> dict[str, dict[str, Any]]:
    return saas.resources("AWS::ApiGateway::Method")


def test_each_api_function_gets_exactly_what_it_calls(saas: SynthesizedSaas) -> None:
    for function, expected in EXPECTED.items():
        plumbing, found = grants(saas, function)
        assert plumbing == XRAY | {"logs:CreateLogStream", "logs:PutLogEvents"}, function
        assert found == expected, function


def test_every_method_but_health_and_the_dashboard_pages_has_the_cognito_authorizer(saas: SynthesizedSaas) -> None:
    found = methods(saas)
    public = [lid for lid, m in found.items() if m["Properties"]["AuthorizationType"] == "NONE"]
    assert all(found[lid]["Properties"]["HttpMethod"] == "GET" for lid in public)
    health = [lid for lid in public if "health" in lid.lower()]
    root = [lid for lid in public if "ResourceId" in found[lid]["Properties"]
            and "RootResourceId" in str(found[lid]["Properties"]["ResourceId"])]  # fmt: skip
    assets = [lid for lid in public if "uiproxy" in lid.lower()]
    assert (len(health), len(root), len(assets), len(public)) == (1, 1, 1, 3), public
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


def test_checkpoints_are_signed_hourly_with_an_asymmetric_key(saas: SynthesizedSaas) -> None:
    key = saas.properties("AuditSigningKey")
    assert (key["KeySpec"], key["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    rules = [r for r in saas.resources("AWS::Events::Rule").values() if "ScheduleExpression" in r["Properties"]]
    assert any(r["Properties"]["ScheduleExpression"] == "rate(1 hour)" for r in rules)


def test_the_dashboard_signs_in_through_the_hosted_ui_with_the_code_flow(saas: SynthesizedSaas) -> None:
    (client,) = saas.resources("AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["AllowedOAuthFlows"] == ["code"] and props["AllowedOAuthFlowsUserPoolClient"] is True
    assert "GenerateSecret" not in props or props["GenerateSecret"] is False  # a public client: PKCE, no secret
    assert set(props["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert "/prod/" in str(props["CallbackURLs"]) and props["CallbackURLs"] == props["LogoutURLs"]
    assert len(saas.resources("AWS::Cognito::UserPoolDomain")) == 1
    (function,) = [f for lid, f in saas.resources("AWS::Lambda::Function").items() if lid.startswith("ApiFunction")]
    assert "CONSOLE_AUTH_DOMAIN" in function["Properties"]["Environment"]["Variables"]
