"""Deploy the synthesized SaaS template into the local AWS through moto CloudFormation, then fix what moto drops.

Why CloudFormation and not a resource walker: the template is the product's deploy unit, and moto's engine
already resolves CDK's intrinsics, ordering and physical names. What moto drops or gets wrong is patched
here, narrowly: the asset zips and the CDK bootstrap version must exist first; `TimeToLiveSpecification`
is ignored (re-applied); the state machine lands in a backend that never executes and without its
`DefinitionSubstitutions` (re-created, same name and so the same ARN, in the executing backend); and the
SQS event source mapping is switched off because moto runs it synchronously inside SendMessage with no
batching, no partial-batch failures and no redrive: `sqs_poller` plays the Lambda poller instead.
"""

from __future__ import annotations

import io
import json
import logging
import re
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.stepfunctions.models import stepfunctions_backends

from cloudoptim.errors import CloudOptimError
from localmode.aws import ACCOUNT_ID, LocalAws
from localmode.lambda_runner import code_name
from localmode.template_for_moto import for_moto, resources_of

BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
BOOTSTRAP_VERSION = "21"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


class LocalDeployError(CloudOptimError):
    """The SaaS template could not be deployed into the local AWS."""


@dataclass(frozen=True)
class EventSourceMapping:
    uuid: str
    function_arn: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool


@dataclass(frozen=True)
class DeployedStack:
    """Physical names of what the drill and the tenant need, found by role rather than by construct id."""

    stack_name: str
    functions: dict[str, str]  # code name (`ingest`) -> deployed function name
    function_env: dict[str, dict[str, str]]
    tables: dict[str, str]  # contract env var (`REGISTRY_TABLE`, `SNAPSHOT_BUCKET`, ...) -> physical name or ARN
    state_machine_arn: str
    event_bus_name: str
    queue_url: str
    dlq_url: str
    mappings: tuple[EventSourceMapping, ...] = field(default=())


def deploy(aws: LocalAws, template: Mapping[str, Any], stack_name: str = "CloudOptimSaas") -> DeployedStack:
    """Create the stack from `template` and return its physical names. Raises LocalDeployError."""
    _prepare_bootstrap(aws, template)
    cfn = aws.client("cloudformation")
    try:
        # moto warns once per resource type it skips (QueuePolicy): expected, and noise in the drill's output
        warnings.filterwarnings("ignore", message=".*not supported by moto's CloudFormation.*")
        logging.getLogger("moto").setLevel(logging.ERROR)
        cfn.create_stack(
            StackName=stack_name,
            TemplateBody=json.dumps(for_moto(template)),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
    except Exception as exc:  # botocore ClientError or moto's 500: one typed error for the caller
        raise LocalDeployError(f"moto CloudFormation refused the SaaS template: {exc}") from exc
    status = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
    if status != "CREATE_COMPLETE":
        raise LocalDeployError(f"stack {stack_name} ended in {status}")
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
        if r.get("PhysicalResourceId")  # moto skips QueuePolicy and CDK metadata
    }
    _apply_ttl(aws, template, physical)
    functions, function_env = _functions(aws, template, physical)
    state_machine_arn = _recreate_state_machines(aws, template, physical)
    mappings = _disable_event_source_mappings(aws)
    return _describe(aws, stack_name, template, physical, functions, function_env, state_machine_arn, mappings)


# The API's front door has no twin in moto (Cognito, WAF) or is not executed by it (API Gateway): local mode serves
# the same app with uvicorn and its own issuer (localmode/api.py), so these resources are left out of the deploy.


def _sub_pseudo(aws: LocalAws, value: Any) -> Any:
    """Asset locations are `Fn::Sub` of pseudo parameters only; anything else is kept."""
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        pseudo = {"AWS::AccountId": ACCOUNT_ID, "AWS::Region": aws.region, "AWS::Partition": "aws"}
        return PLACEHOLDER.sub(lambda m: pseudo.get(m.group(1), m.group(0)), value["Fn::Sub"])
    return value


def _asset_locations(aws: LocalAws, template: Mapping[str, Any]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        for holder in (props.get("Code"), props.get("Content"), props.get("DefinitionS3Location")):
            if isinstance(holder, dict) and "S3Bucket" in holder and "S3Key" in holder:
                bucket, key = _sub_pseudo(aws, holder["S3Bucket"]), _sub_pseudo(aws, holder["S3Key"])
                if isinstance(bucket, str) and isinstance(key, str):
                    found.add((bucket, key))
    return found


def _prepare_bootstrap(aws: LocalAws, template: Mapping[str, Any]) -> None:
    # The code inside the zips is never run (the in-process runner imports the repo's handlers), so a tiny
    # stand-in zip per asset key is enough for moto's Lambda to accept the function.
    aws.client("ssm").put_parameter(Name=BOOTSTRAP_PARAMETER, Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True)
    s3 = aws.client("s3")
    stand_in = io.BytesIO()
    with zipfile.ZipFile(stand_in, "w") as archive:
        archive.writestr("README.txt", "local mode runs the repository's handlers in-process\n")
    buckets: set[str] = set()
    for bucket, key in _asset_locations(aws, template):
        if bucket not in buckets:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": aws.region})
            buckets.add(bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=stand_in.getvalue())


def _apply_ttl(aws: LocalAws, template: Mapping[str, Any], physical: Mapping[str, str]) -> None:
    dynamodb = aws.client("dynamodb")
    for logical_id, resource in resources_of(template, "AWS::DynamoDB::Table").items():
        spec = resource.get("Properties", {}).get("TimeToLiveSpecification")
        if spec and spec.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=physical[logical_id],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec["AttributeName"]},
            )


def _functions(
    aws: LocalAws, template: Mapping[str, Any], physical: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    lam = aws.client("lambda")
    names: dict[str, str] = {}
    env: dict[str, dict[str, str]] = {}
    for logical_id in resources_of(template, "AWS::Lambda::Function"):
        config = lam.get_function_configuration(FunctionName=physical[logical_id])
        handler = str(config.get("Handler") or "")
        if not handler.startswith("functions/"):
            continue  # CDK's own helpers (log retention, custom resources) are not ours to run
        names[code_name(handler)] = config["FunctionName"]
        env[code_name(handler)] = dict(config.get("Environment", {}).get("Variables", {}))
    return names, env


def _resolve(value: Any, arns: Mapping[str, str], physical: Mapping[str, str]) -> Any:
    """The intrinsics a definition substitution uses: GetAtt X.Arn, Ref X, Join of those."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            logical_id = target[0] if isinstance(target, list) else str(target).split(".")[0]
            return arns.get(logical_id, physical.get(logical_id, ""))
        if "Ref" in value:
            return arns.get(value["Ref"], physical.get(value["Ref"], ""))
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(_resolve(p, arns, physical)) for p in parts)
    return value


def _substitute(text: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _recreate_state_machines(aws: LocalAws, template: Mapping[str, Any], physical: Mapping[str, str]) -> str:
    lam = aws.client("lambda")
    arns = {
        lid: lam.get_function_configuration(FunctionName=physical[lid])["FunctionArn"]
        for lid in resources_of(template, "AWS::Lambda::Function")
    }
    sfn = aws.client("stepfunctions")
    cfn_backend = stepfunctions_backends[ACCOUNT_ID][aws.region]
    created = ""
    for logical_id, resource in resources_of(template, "AWS::StepFunctions::StateMachine").items():
        machine = cfn_backend.describe_state_machine(physical[logical_id])
        substitutions = {
            key: str(_resolve(value, arns, physical))
            for key, value in resource.get("Properties", {}).get("DefinitionSubstitutions", {}).items()
        }
        definition = _substitute(machine.definition, substitutions)
        arn = sfn.create_state_machine(name=machine.name, definition=definition, roleArn=machine.roleArn)[
            "stateMachineArn"
        ]
        created = arn if logical_id == "DrainAndReplace" or not created else created
    if not created:
        raise LocalDeployError("the SaaS template has no state machine")
    return created


def _disable_event_source_mappings(aws: LocalAws) -> tuple[EventSourceMapping, ...]:
    lam = aws.client("lambda")
    mappings = []
    for esm in lam.list_event_source_mappings()["EventSourceMappings"]:
        if not str(esm.get("EventSourceArn", "")).startswith("arn:aws:sqs:"):
            continue
        lam.update_event_source_mapping(UUID=esm["UUID"], Enabled=False)
        mappings.append(
            EventSourceMapping(
                uuid=esm["UUID"],
                function_arn=esm["FunctionArn"],
                queue_arn=esm["EventSourceArn"],
                batch_size=int(esm.get("BatchSize") or 10),
                report_batch_item_failures="ReportBatchItemFailures" in (esm.get("FunctionResponseTypes") or []),
            )
        )
    return tuple(mappings)


def _queue_url(aws: LocalAws, queue_arn: str) -> str:
    """The queue's URL on the local endpoint (moto names the host the request came to, which in-process is
    the AWS one), so what `cloudoptim local up` prints works from outside the process too."""
    found = str(aws.client("sqs").get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"])
    account, name = found.rstrip("/").split("/")[-2:]
    return f"{aws.endpoint_url}/{account}/{name}"


def _describe(
    aws: LocalAws,
    stack_name: str,
    template: Mapping[str, Any],
    physical: Mapping[str, str],
    functions: dict[str, str],
    function_env: dict[str, dict[str, str]],
    state_machine_arn: str,
    mappings: tuple[EventSourceMapping, ...],
) -> DeployedStack:
    ingest_env = function_env.get("ingest", {})
    tables: dict[str, str] = {}
    for env in function_env.values():
        # tables, and the buckets and state machines the functions are told about (the API's twin needs them too)
        tables.update({k: v for k, v in env.items() if k.endswith(("_TABLE", "_BUCKET", "_STATE_MACHINE_ARN"))})
    ingest_mapping = next((m for m in mappings if m.function_arn.endswith(":" + functions.get("ingest", "?"))), None)
    if ingest_mapping is None:
        raise LocalDeployError("no SQS event source mapping feeds the ingest function")
    sqs = aws.client("sqs")
    queue_url = _queue_url(aws, ingest_mapping.queue_arn)
    redrive = json.loads(
        sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
        .get("Attributes", {})
        .get("RedrivePolicy", "{}")
    )
    dlq_url = _queue_url(aws, redrive["deadLetterTargetArn"]) if redrive else ""
    buses = [
        str(r.get("Properties", {}).get("Name", "")) for r in resources_of(template, "AWS::Events::EventBus").values()
    ]
    return DeployedStack(
        stack_name=stack_name,
        functions=functions,
        function_env=function_env,
        tables=tables,
        state_machine_arn=ingest_env.get("STATE_MACHINE_ARN", state_machine_arn),
        event_bus_name=buses[0] if buses and buses[0] else "cloudoptim-events",
        queue_url=queue_url,
        dlq_url=dlq_url,
        mappings=mappings,
    )
