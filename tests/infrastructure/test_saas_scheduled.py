"""The scheduled jobs in the SaaS template (issue 15): a schedule per job, each job's role with exactly what it calls,
the Hibernate state machine invoking only its step, the Prices table and the price archive."""

from __future__ import annotations

from typing import Any

import pytest

from cdk.manifest import FUNCTION_LAYERS
from cdk.settings import HIBERNATE_ASL
from tests.infrastructure.conftest import SynthesizedSaas
from tests.infrastructure.test_saas_iam import ASSUME, EXTERNAL_IDS, TOKENS, XRAY, _statements, _target, grants

JOBS = {
    "scrape_prices": "ScrapePricesFunction",
    "fill_price_gaps": "FillPriceGapsFunction",
    "discover_clusters": "DiscoverClustersFunction",
    "hibernation_tick": "HibernationTickFunction",
    "hibernation_step": "HibernationStepFunction",
    "waste_scan": "WasteScanFunction",
    "sweep_step": "SweepStepFunction",
}
SCHEDULES = {
    "ScrapePricesSchedule": ("ScrapePricesFunction", "rate(1 hour)"),
    "FillPriceGapsSchedule": ("FillPriceGapsFunction", "rate(1 day)"),
    "DiscoverClustersSchedule": ("DiscoverClustersFunction", "rate(1 hour)"),
    "HibernationTickSchedule": ("HibernationTickFunction", "rate(5 minutes)"),
    "WasteScanSchedule": ("WasteScanFunction", "rate(1 day)"),
    "SampleUsageSchedule": ("SweepStepFunction", "rate(15 minutes)"),
    "SweepSchedule": ("SweepStepFunction", "rate(1 day)"),
}
DOCUMENTS = frozenset({"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"})
AUDIT = frozenset({"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"})
PRICES_RW = frozenset({"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:BatchWriteItem"})
SPOT = {"ec2:DescribeSpotPriceHistory", "ec2:DescribeAvailabilityZones"}
SECRET = frozenset({"secretsmanager:GetSecretValue"})
# Tenant roles only with a tenant session tag, the ExternalIds and cluster tokens (Kubernetes API) by kind.
TENANT = {(ASSUME, frozenset({"sts:AssumeRole", "sts:TagSession"}), "tag"), (EXTERNAL_IDS, SECRET, None),
          (TOKENS, SECRET, None)}  # fmt: skip
SNAPSHOT_OBJECTS = frozenset({"s3:GetObject", "s3:PutObject"})
SWEEP_ARN = "CloudOptimSweep"
PRICING = {
    ("Prices", PRICES_RW, None),
    ("Registry", frozenset({"dynamodb:Query"}), "TENANT#*"),
    ("PriceArchive/*", frozenset({"s3:GetObject", "s3:PutObject"}), None),
    ("PriceArchive", frozenset({"s3:ListBucket"}), None),
}

# job -> (actions on "*" besides logs and X-Ray, every other (target, actions, LeadingKeys or "tag"))
EXPECTED: dict[str, tuple[set[str], set[tuple[str, frozenset[str], str | None]]]] = {
    "scrape_prices": (SPOT | {"pricing:GetProducts"}, PRICING),
    "fill_price_gaps": (SPOT, PRICING),
    "hibernation_tick": (set(), {("Registry", DOCUMENTS, "TENANT#*"),
                                 ("Hibernate", frozenset({"states:StartExecution"}), None)}),
    "hibernation_step": (set(), {("Registry", DOCUMENTS, "TENANT#*"), ("Audit", AUDIT, "TENANT#*"), *TENANT}),
    "discover_clusters": (set(), {("Registry", DOCUMENTS, "TENANT#*,INSTANCE#*"), *TENANT,
                                  ("HiveMind", frozenset({"dynamodb:DescribeTable", "dynamodb:UpdateItem"}), None)}),
    "waste_scan": (set(), {("Registry", DOCUMENTS, "TENANT#*"), ("Audit", AUDIT, "TENANT#*"),
                           ("Prices", frozenset({"dynamodb:GetItem"}), None), *TENANT}),
    # issue 14: the sweep's one function (snapshots and usage by key prefix, flags through the region index)
    "sweep_step": (set(), {("Registry", DOCUMENTS, "TENANT#*"), ("Audit", AUDIT, "TENANT#*"),
                           ("HiveMind", frozenset({"dynamodb:Query"}), None),
                           ("HiveMind/index/*", frozenset({"dynamodb:Query"}), None),
                           ("Snapshots", frozenset({"s3:ListBucket"}), None),
                           ("Snapshots/snapshots/*", SNAPSHOT_OBJECTS, None),
                           ("Snapshots/usage/*", SNAPSHOT_OBJECTS, None),
                           (SWEEP_ARN, frozenset({"states:StartExecution"}), None),
                           ("Execute", frozenset({"states:StartExecution"}), None), *TENANT}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(JOBS))
def test_each_job_gets_exactly_what_it_calls(saas: SynthesizedSaas, name: str) -> None:
    plumbing, found = grants(saas, JOBS[name])
    extra, expected = EXPECTED[name]
    assert plumbing == XRAY | {"logs:CreateLogStream", "logs:PutLogEvents"} | extra
    assert found == expected


@pytest.mark.parametrize("rule_id", sorted(SCHEDULES))
def test_every_job_runs_on_its_schedule(saas: SynthesizedSaas, rule_id: str) -> None:
    function, expression = SCHEDULES[rule_id]
    rule = saas.properties(rule_id)
    assert rule["ScheduleExpression"] == expression and rule["State"] == "ENABLED"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    permissions = [p["Properties"] for p in saas.resources("AWS::Lambda::Permission").values()]
    assert any(p["FunctionName"] == {"Fn::GetAtt": [function, "Arn"]} and p["Principal"] == "events.amazonaws.com"
               and p["SourceArn"] == {"Fn::GetAtt": [rule_id, "Arn"]} for p in permissions)  # fmt: skip


def test_the_step_function_is_the_only_thing_hibernate_invokes(saas: SynthesizedSaas) -> None:
    machine = saas.properties("Hibernate")
    assert machine["DefinitionSubstitutions"] == {
        "HibernationStepFunctionArn": {"Fn::GetAtt": [JOBS["hibernation_step"], "Arn"]}
    }
    assert machine["DefinitionString"] == HIBERNATE_ASL.read_text()
    assert machine["LoggingConfiguration"]["Level"] == "ALL" and machine["TracingConfiguration"] == {"Enabled": True}
    role = machine["RoleArn"]["Fn::GetAtt"][0]
    invoked = {_target(r) for s in _statements(saas, role) if s["Action"] == "lambda:InvokeFunction"
               for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])}  # fmt: skip
    assert invoked == {JOBS["hibernation_step"]}
    env = saas.properties("HibernationTickFunction")["Environment"]["Variables"]
    assert env["HIBERNATE_STATE_MACHINE_ARN"] == {"Ref": "Hibernate"} and env["HIBERNATE_WAIT_SECONDS"] == "30"


def test_jobs_carry_only_the_layers_their_imports_need(saas: SynthesizedSaas) -> None:
    for name, logical_id in JOBS.items():
        deps = [f"CloudOptimDeps{layer.capitalize()}" for layer in FUNCTION_LAYERS[name]]
        assert [layer["Ref"] for layer in saas.properties(logical_id)["Layers"]] == [*deps, "CloudOptimRuntime"]


def test_prices_table_and_archive(saas: SynthesizedSaas) -> None:
    table = saas.properties("Prices")
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    assert table["BillingMode"] == "PAY_PER_REQUEST" and table["SSESpecification"] == {"SSEEnabled": True}
    bucket: dict[str, Any] = saas.properties("PriceArchive")
    assert bucket["PublicAccessBlockConfiguration"] == {key: True for key in (
        "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")}  # fmt: skip
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    policies = [p["Properties"] for p in saas.resources("AWS::S3::BucketPolicy").values()]
    assert any("aws:SecureTransport" in str(p["PolicyDocument"]) for p in policies)  # TLS only
    scrape = saas.properties("ScrapePricesFunction")["Environment"]["Variables"]
    assert scrape["PRICE_ARCHIVE_BUCKET"] == {"Ref": "PriceArchive"} and scrape["PRICES_TABLE"] == {"Ref": "Prices"}
    assert scrape["DEFAULT_PRICE_REGIONS"] == "eu-west-1,us-east-1" and scrape["PRICING_API_REGION"] == "us-east-1"
    choose = saas.properties("ChooseReplacementFunction")["Environment"]["Variables"]
    assert choose["PRICES_TABLE"] == {"Ref": "Prices"}
