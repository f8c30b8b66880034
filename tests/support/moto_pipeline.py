"""The interruption pipeline deployed into moto for functional tests: tables, the seven Lambdas (run
in-process), DrainAndReplace from the real ASL, and a seeded tenant whose EC2 has a launch template.

Used inside `mock_aws(config=MOTO_CONFIG)` and `in_process_lambdas()`.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from cloudoptim.adapters.aws import tables
from tests.support.pipeline import ACCOUNT, CLUSTER, EXTERNAL_ID, INSTANCE, NODE, TENANT

MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": True}}
REGION = "us-east-1"
ASL = Path(__file__).resolve().parents[2] / "statemachines" / "drain_and_replace.asl.json"
FUNCTIONS = {
    "ChooseReplacementFunctionArn": "choose_replacement",
    "LaunchReplacementFunctionArn": "launch_replacement",
    "NodeStatusFunctionArn": "node_status",
    "TerminateReplacementFunctionArn": "terminate_replacement",
    "CordonNodeFunctionArn": "cordon_node",
    "EvictPodsFunctionArn": "evict_pods",
    "RecordOutcomeFunctionArn": "record_outcome",
}
TABLE_KEYS = {
    "Registry": [("pk", "HASH"), ("sk", "RANGE")],
    "HiveMind": [("pool", "HASH"), ("tenant_id", "RANGE")],
    "Audit": [("pk", "HASH"), ("sk", "RANGE")],
    "Idempotency": [("id", "HASH")],
}
ENV = {
    "REGISTRY_TABLE": "Registry",
    "HIVE_MIND_TABLE": "HiveMind",
    "AUDIT_TABLE": "Audit",
    "IDEMPOTENCY_TABLE": "Idempotency",
    "HIVE_MIND_TTL_SECONDS": "1800",
    "DRY_RUN": "false",
    "WAIT_SECONDS": "0",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_SERVICE_NAME": "cloudoptim",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "CloudOptim",
}


@dataclass(frozen=True)
class Deployed:
    state_machine_arn: str
    launch_template_id: str
    subnets: dict[str, str]  # AZ ID -> subnet id


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def create_tables() -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for name, keys in TABLE_KEYS.items():
        extra: dict[str, Any] = {}
        attributes = [{"AttributeName": k, "AttributeType": "S"} for k, _ in keys]
        if name == "HiveMind":  # the ByRegion index of docs/platform-contract.md
            attributes += [{"AttributeName": "region", "AttributeType": "S"},
                           {"AttributeName": "expires_at", "AttributeType": "N"}]  # fmt: skip
            extra["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": "ByRegion",
                    "KeySchema": [
                        {"AttributeName": "region", "KeyType": "HASH"},
                        {"AttributeName": "expires_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ]
        if name == "Registry":  # the sparse ByPool index (cdk/constructs/storage.py)
            attributes += [{"AttributeName": "pool", "AttributeType": "S"}]
            extra["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": "ByPool",
                    "KeySchema": [
                        {"AttributeName": "pool", "KeyType": "HASH"},
                        {"AttributeName": "pk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ]
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
            AttributeDefinitions=attributes,
            BillingMode="PAY_PER_REQUEST",
            **extra,
        )


def deploy_state_machine() -> str:
    iam = boto3.client("iam", region_name=REGION)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]}}]}  # fmt: skip
    role = iam.create_role(RoleName="pipeline", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    lam = boto3.client("lambda", region_name=REGION)
    definition = ASL.read_text()
    for placeholder, name in FUNCTIONS.items():
        arn = lam.create_function(
            FunctionName=name, Runtime="python3.12", Role=role, Handler=f"functions/{name}/handler.handler",
            Code={"ZipFile": _zip()}, Timeout=60,
        )["FunctionArn"]  # fmt: skip
        definition = definition.replace("${" + placeholder + "}", arn)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    return str(sfn.create_state_machine(name="DrainAndReplace", definition=definition, roleArn=role)["stateMachineArn"])


def customer_session() -> boto3.Session:
    """A session in the tenant's account, through its role."""
    role = f"arn:aws:iam::{ACCOUNT}:role/CloudOptimAccess-{TENANT}"
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=role, RoleSessionName="setup", ExternalId=EXTERNAL_ID
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def customer_ec2() -> tuple[str, dict[str, str]]:
    """A VPC with one subnet per zone and a launch template, in the customer account (moto keeps accounts apart)."""
    ec2 = customer_session().client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = {}
    for i, zone in enumerate(ec2.describe_availability_zones()["AvailabilityZones"]):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone["ZoneName"])
        subnets[zone["ZoneId"]] = subnet["Subnet"]["SubnetId"]
    template = ec2.create_launch_template(LaunchTemplateName="workers", LaunchTemplateData={"ImageId": "ami-12c6146b"})[
        "LaunchTemplate"
    ]["LaunchTemplateId"]
    return template, subnets


def seed_registry(template: str, subnets: dict[str, str], az_id: str = "use1-az4") -> None:
    model = tables.registry_model("Registry")
    role = f"arn:aws:iam::{ACCOUNT}:role/CloudOptimAccess-{TENANT}"
    model(f"TENANT#{TENANT}", "META", account_id=ACCOUNT, role_arn=role, regions=[REGION]).save()
    model(f"ACCOUNT#{ACCOUNT}", "TENANT", tenant_id=TENANT).save()
    secrets = boto3.client("secretsmanager", region_name=REGION)  # where only the assume-role path reads it
    secrets.create_secret(Name=f"cloudoptim/{TENANT}/external-id", SecretString=EXTERNAL_ID)
    group = {"launch_template_id": template, "launch_template_version": "$Latest", "subnets": subnets,
             "capacity_type": "spot"}  # fmt: skip
    model(f"TENANT#{TENANT}", f"CLUSTER#{CLUSTER}", endpoint="https://prod.eks.example", ca_data="LS0t",
          credentials={"kind": "eks"}, node_groups={"workers": group}).save()  # fmt: skip
    model(f"INSTANCE#{INSTANCE}", "NODE", tenant_id=TENANT, cluster=CLUSTER, node_name=NODE, node_group="workers",
          region=REGION, availability_zone="us-east-1d", az_id=az_id, instance_type="m5.xlarge",
          capacity_type="spot").save()  # fmt: skip


def deploy() -> Deployed:
    create_tables()
    arn = deploy_state_machine()
    template, subnets = customer_ec2()
    seed_registry(template, subnets)
    return Deployed(arn, template, subnets)


def wait_for(execution_arn: str, timeout: float = 30.0) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    deadline = time.time() + timeout
    while True:
        answer: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        if answer["status"] != "RUNNING" or time.time() > deadline:
            return answer
        time.sleep(0.05)


def audit_entries(tenant: str = TENANT) -> list[dict[str, Any]]:
    """The tenant's audit log in sequence order, each entry's canonical document (with seq and prev_hash)."""
    items = boto3.client("dynamodb", region_name=REGION).query(
        TableName="Audit",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :seq)",
        ExpressionAttributeValues={":pk": {"S": f"TENANT#{tenant}"}, ":seq": {"S": "SEQ#"}},
    )["Items"]
    return [json.loads(item["entry"]["S"]) for item in items]
