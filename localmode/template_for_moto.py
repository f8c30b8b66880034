"""The synthesized template as moto's CloudFormation can create it (localmode/deploy.py deploys the result): the
API's front door (Cognito, WAF, API Gateway), which local mode replaces, is left out with placeholders where it was
referenced, and event rules get their bus's literal name."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from localmode.aws import ACCOUNT_ID

REGION_PLACEHOLDER = "eu-west-1"
LOCAL_REPLACED = ("AWS::Cognito::", "AWS::WAFv2::", "AWS::ApiGateway::")


def for_moto(template: Mapping[str, Any]) -> dict[str, Any]:
    """A copy moto can create: a rule's `EventBusName: {Ref: bus}` resolves to the bus object in moto
    (AttributeError, HTTP 500), so the bus's literal name is written in instead; the API's front door is left out
    and references to it become placeholders."""
    patched = _without_front_door(copy.deepcopy(dict(template)))
    bus_names = {
        lid: r.get("Properties", {}).get("Name") for lid, r in resources_of(patched, "AWS::Events::EventBus").items()
    }
    for rule in resources_of(patched, "AWS::Events::Rule").values():
        bus = rule.get("Properties", {}).get("EventBusName")
        name = bus_names.get(str(bus.get("Ref"))) if isinstance(bus, dict) else None
        if isinstance(name, str):
            rule["Properties"]["EventBusName"] = name
    return patched


def _without_front_door(template: dict[str, Any]) -> dict[str, Any]:
    resources = template.get("Resources", {})
    dropped = {lid for lid, r in resources.items() if str(r.get("Type", "")).startswith(LOCAL_REPLACED)}
    for lid in dropped:
        del resources[lid]
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if isinstance(depends, list):
            resource["DependsOn"] = [d for d in depends if d not in dropped]
        elif depends in dropped:
            del resource["DependsOn"]
    template["Resources"] = _placeholders(resources, dropped)
    outputs = template.get("Outputs", {})
    template["Outputs"] = {k: v for k, v in outputs.items() if not _references(v, dropped)}
    return template


def _references(value: Any, dropped: set[str]) -> bool:
    if isinstance(value, dict):
        target = value.get("Ref") or value.get("Fn::GetAtt")
        name = target[0] if isinstance(target, list) else str(target).split(".")[0] if target else None
        return name in dropped or any(_references(v, dropped) for v in value.values())
    if isinstance(value, list):
        return any(_references(v, dropped) for v in value)
    return False


def _placeholders(value: Any, dropped: set[str]) -> Any:
    if isinstance(value, dict):
        target = value.get("Ref") or value.get("Fn::GetAtt")
        name = target[0] if isinstance(target, list) else str(target).split(".")[0] if target else None
        if len(value) == 1 and name in dropped:
            return f"arn:aws:local:{REGION_PLACEHOLDER}:{ACCOUNT_ID}:{name}"  # IAM wants an ARN where one was
        return {k: _placeholders(v, dropped) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, dropped) for v in value]
    return value


def resources_of(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template.get("Resources", {}).items() if r.get("Type") == kind}
