"""The product API: Cognito users, the `api` function behind API Gateway REST (Cognito authorizer on every method
but health and the dashboard's static pages, WAF, throttling, access logs), Cognito's hosted UI for the dashboard's
sign-in (authorization code with PKCE) and the hourly audit checkpoints signed with a KMS key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk.constructs import grants
from cdk.constructs._cfn import acknowledge, name_logical_id
from cdk.constructs.functions import ContractFunction
from cdk.constructs.layers import Layers
from cdk.constructs.storage import HIVE_MIND_REGION_INDEX, Storage
from cdk.manifest import FUNCTION_LAYERS
from cloudoptim.onboarding import EVENT_BUS_NAME, SAAS_ASSUMER_PATH

PUBLIC_PATHS = ("v1/health",)
# The dashboard's pages and assets (cloudoptim.dashboard): public, they hold no data; every figure comes from the API
# with the user's token. "" is the stage root, where the dashboard lives.
DASHBOARD_PATHS = ("", "ui/{proxy+}")
STAGE = "prod"
OAUTH_SCOPES = ("openid", "email", "profile")
THROTTLE_RATE, THROTTLE_BURST = 50, 100  # requests per second per stage; WAF adds a per-IP limit


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        layers: Layers,
        code: Mapping[str, Path],
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool, self.client = _users(self)
        self.signing_key = kms.Key(
            self,
            "AuditSigningKey",
            key_spec=kms.KeySpec.ECC_NIST_P256,
            key_usage=kms.KeyUsage.SIGN_VERIFY,
            description="CloudOptim audit checkpoints (ECDSA P-256); the private key never leaves KMS",
            removal_policy=RemovalPolicy.RETAIN,
        )
        name_logical_id(self.signing_key, "AuditSigningKey")
        region = Stack.of(self).region
        issuer = f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool.user_pool_id}"
        shared = {**environment, "AUDIT_KEY_ID": self.signing_key.key_arn}
        account = Stack.of(self).account
        self.hosted_ui = self.user_pool.add_domain(
            "HostedUi", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=f"cloudoptim-{account}")
        )
        self.function = ContractFunction(
            self, "Function", name="api", code=code["api"], layers=layers.for_function(FUNCTION_LAYERS["api"]),
            role_path=SAAS_ASSUMER_PATH,
            environment={
                **shared, "API_ISSUER": issuer, "API_AUDIENCE": self.client.user_pool_client_id,
                "USER_POOL_ID": self.user_pool.user_pool_id, "SAAS_ACCOUNT_ID": account,
                "CONSOLE_AUTH_DOMAIN": self.hosted_ui.base_url(),
            },
            timeout=Duration.seconds(29), memory_mb=1024, log_retention=log_retention,
        )  # fmt: skip
        self.checkpoint = ContractFunction(
            self, "Checkpoint", name="audit_checkpoint", code=code["audit_checkpoint"],
            layers=layers.for_function(FUNCTION_LAYERS["audit_checkpoint"]), environment=shared,
            timeout=Duration.minutes(5), memory_mb=512, log_retention=log_retention,
        )  # fmt: skip
        self._grant(storage)
        self.rest_api = _rest_api(self, self.function, self.user_pool, log_retention)
        _console_sign_in(self.client, self.rest_api)
        _firewall(self, self.rest_api)
        rule = events.Rule(self, "HourlyCheckpoint", schedule=events.Schedule.rate(Duration.hours(1)))
        rule.add_target(targets.LambdaFunction(self.checkpoint.function, retry_attempts=2))

    def _grant(self, storage: Storage) -> None:
        """Exactly what the API and the checkpoint job call: keyed reads and conditional writes of the tenant's
        documents (never Scan), appends to the audit log (never Update or Delete), its tenants' roles with a session
        tag (account verification, cluster checks), the bus policy, the tenant users, the signing key."""
        api, checkpoint = self.function, self.checkpoint
        documents = [*grants.KEYED_READ, "dynamodb:PutItem", "dynamodb:DeleteItem"]
        grants.table_actions(api, storage.registry, documents, ["TENANT#", "ACCOUNT#"])
        audit = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"]
        for fn in (api, checkpoint):
            grants.table_actions(fn, storage.audit, audit, ["TENANT#"])
        grants.table_actions(checkpoint, storage.registry, grants.KEYED_READ, ["TENANT#"])
        # GET /v1/hive-mind: two bounded Queries of a region's ByRegion index (cloudoptim.interruptions.hive_view)
        grants.table_actions(api, storage.hive_mind, ["dynamodb:DescribeTable"])
        by_region = f"{storage.hive_mind.table_arn}/index/{HIVE_MIND_REGION_INDEX}"
        api.role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:Query"], resources=[by_region]))
        grants.assume_tenant_roles(api)
        grants.read_cluster_tokens(api)
        grants.write_secrets(
            api, grants.EXTERNAL_ID_SECRETS, ["secretsmanager:CreateSecret", "secretsmanager:TagResource"]
        )
        grants.write_secrets(
            api, grants.CLUSTER_TOKEN_SECRETS,
            ["secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret",
             "secretsmanager:TagResource"],
        )  # fmt: skip
        self.signing_key.grant(api.role, "kms:GetPublicKey")
        self.signing_key.grant(checkpoint.role, "kms:Sign", "kms:GetPublicKey")
        bus = Stack.of(self).format_arn(service="events", resource="event-bus", resource_name=EVENT_BUS_NAME)
        api.role.add_to_policy(iam.PolicyStatement(actions=["events:DescribeEventBus", "events:PutPermission"],
                                                   resources=[bus]))  # fmt: skip
        users = ["cognito-idp:AdminCreateUser", "cognito-idp:AdminUpdateUserAttributes", "cognito-idp:AdminDeleteUser",
                 "cognito-idp:ListUsers"]  # fmt: skip
        api.role.add_to_policy(iam.PolicyStatement(actions=users, resources=[self.user_pool.user_pool_arn]))


def _users(scope: Construct) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
    pool = cognito.UserPool(
        scope,
        "Users",
        self_sign_up_enabled=False,  # an administrator (or the operator, for a new tenant) invites users
        sign_in_aliases=cognito.SignInAliases(email=True),
        custom_attributes={
            "tenant_id": cognito.StringAttribute(min_len=1, max_len=47, mutable=True),
            "role": cognito.StringAttribute(min_len=5, max_len=8, mutable=True),
        },
        password_policy=cognito.PasswordPolicy(
            min_length=12, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=True
        ),
        mfa=cognito.Mfa.REQUIRED,
        mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
        feature_plan=cognito.FeaturePlan.PLUS,
        standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
        account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
        removal_policy=RemovalPolicy.RETAIN,
    )
    name_logical_id(pool, "UserPool")
    # The console may read every attribute but write none of the tenant or role: those come from CloudOptim only.
    readable = (
        cognito.ClientAttributes().with_standard_attributes(email=True).with_custom_attributes("tenant_id", "role")
    )
    client = pool.add_client(
        "Console",
        auth_flows=cognito.AuthFlow(user_srp=True),
        read_attributes=readable,
        write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True),
        id_token_validity=Duration.hours(1),
        prevent_user_existence_errors=True,
    )
    return pool, client


def _console_sign_in(client: cognito.UserPoolClient, api: apigw.LambdaRestApi) -> None:
    """The dashboard signs in through the hosted UI: authorization code with PKCE (a public client, no secret), back
    to the stage root. Set on the L1 client: the URL is built from the REST API's id, not its deployment, which
    depends on the function that depends on this client (a cycle otherwise)."""
    stack = Stack.of(api)
    console = f"https://{api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}/{STAGE}/"
    cfn = client.node.default_child
    assert isinstance(cfn, cognito.CfnUserPoolClient)
    cfn.allowed_o_auth_flows = ["code"]
    cfn.allowed_o_auth_flows_user_pool_client = True
    cfn.allowed_o_auth_scopes = list(OAUTH_SCOPES)
    cfn.callback_ur_ls = [console]
    cfn.logout_ur_ls = [console]
    cfn.supported_identity_providers = ["COGNITO"]


def _rest_api(
    scope: Construct, fn: ContractFunction, pool: cognito.UserPool, retention: logs.RetentionDays
) -> apigw.LambdaRestApi:
    access_logs = logs.LogGroup(scope, "AccessLogs", retention=retention)
    authorizer = apigw.CognitoUserPoolsAuthorizer(scope, "Authorizer", cognito_user_pools=[pool])
    api = apigw.LambdaRestApi(
        scope,
        "RestApi",
        handler=fn.function,
        proxy=True,
        rest_api_name="cloudoptim-api",
        cloud_watch_role=False,  # the account-level logging role is set once, outside this stack
        default_method_options=apigw.MethodOptions(
            authorizer=authorizer, authorization_type=apigw.AuthorizationType.COGNITO
        ),
        deploy_options=apigw.StageOptions(
            stage_name=STAGE,
            throttling_rate_limit=THROTTLE_RATE,
            throttling_burst_limit=THROTTLE_BURST,
            access_log_destination=apigw.LogGroupLogDestination(access_logs),
            access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                caller=False, http_method=True, ip=True, protocol=True, request_time=True, resource_path=True,
                response_length=True, status=True, user=True,
            ),
            tracing_enabled=True,
            logging_level=apigw.MethodLoggingLevel.ERROR,
            metrics_enabled=True,
        ),
    )  # fmt: skip
    name_logical_id(api, "RestApi")
    resource = api.root
    for part in PUBLIC_PATHS[0].split("/"):
        resource = resource.get_resource(part) or resource.add_resource(part)
    public = apigw.AuthorizationType.NONE
    resource.add_method("GET", apigw.LambdaIntegration(fn.function), authorization_type=public)
    for path in DASHBOARD_PATHS:
        resource = api.root
        for part in filter(None, path.split("/")):
            resource = resource.get_resource(part) or resource.add_resource(part)
        resource.add_method("GET", apigw.LambdaIntegration(fn.function), authorization_type=public)
    why = ("Every method has the Cognito authorizer but GET /v1/health (liveness) and GET of the dashboard's static "
           "pages (/, /ui/*), which hold no data: they call the API with the user's Cognito token.")  # fmt: skip
    acknowledge(api, "AwsSolutions-APIG4", why)
    acknowledge(api, "AwsSolutions-COG4", why)
    acknowledge(
        api,
        "AwsSolutions-APIG2",
        "The Lambda validates every request against the OpenAPI models and answers 422 problem+json naming the field;"
        " a second, coarser validator at the gateway would answer differently for the same input.",
    )
    return api


def _firewall(scope: Construct, api: apigw.LambdaRestApi) -> None:
    def managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=name
                )
            ),
            visibility_config=_visibility(name),
        )

    per_ip = wafv2.CfnWebACL.RuleProperty(
        name="RatePerIp",
        priority=0,
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(limit=2000, aggregate_key_type="IP")
        ),
        visibility_config=_visibility("RatePerIp"),
    )
    acl = wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        rules=[per_ip, managed("AWSManagedRulesCommonRuleSet", 1), managed("AWSManagedRulesKnownBadInputsRuleSet", 2)],
        visibility_config=_visibility("CloudOptimApi"),
    )
    acl.override_logical_id("ApiWebAcl")
    wafv2.CfnWebACLAssociation(
        scope, "WebAclAssociation", resource_arn=api.deployment_stage.stage_arn, web_acl_arn=acl.attr_arn
    )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )
