"""`cloudoptim onboarding template`: print a tenant's CloudFormation onboarding template as JSON."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from cloudoptim.onboarding import OnboardingRequest, onboarding_template


def add_commands(areas: Any) -> None:
    onboarding = areas.add_parser("onboarding", help="customer onboarding: the per-tenant CloudFormation template")
    commands = onboarding.add_subparsers(dest="command", required=True, metavar="COMMAND")
    template = commands.add_parser("template", help="print the tenant's onboarding template (JSON)")
    template.add_argument("--tenant", required=True, help="tenant id; the role is CloudOptimAccess-<tenant>")
    template.add_argument("--saas-account", required=True, help="12-digit account id of the CloudOptim SaaS")
    template.add_argument("--external-id", required=True, help="the tenant's ExternalId for sts:AssumeRole")
    template.add_argument("--saas-region", default="eu-west-1", help="region of the SaaS event bus (eu-west-1)")
    template.add_argument(
        "--region",
        action="append",
        default=[],
        help="a region where the tenant's clusters run (repeat or comma-separate; default: the SaaS region)",
    )
    template.add_argument(
        "--node-role",
        action="append",
        default=[],
        help="IAM role name of the nodes, passed at launch (repeatable; default AmazonEKSNodeRole)",
    )
    template.set_defaults(run=run_template)


def run_template(args: argparse.Namespace) -> str:
    request = OnboardingRequest.model_validate(
        {
            "tenant_id": args.tenant,
            "saas_account_id": args.saas_account,
            "external_id": args.external_id,
            "saas_region": args.saas_region,
            "regions": regions_of(args.region),
            **({"node_role_names": tuple(args.node_role)} if args.node_role else {}),
        }
    )
    return json.dumps(onboarding_template(request), indent=2)


def regions_of(values: Sequence[str]) -> tuple[str, ...]:
    """`--region a --region b,c` -> (a, b, c)."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())
