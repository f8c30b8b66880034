"""`cloudoptim onboarding template`: print a tenant's CloudFormation onboarding template as JSON.

Without `--external-id` a new one is generated (cloudoptim.tenancy.external_id, 256 random bits) and named on stderr:
the SaaS must hold the same value for the tenant (Secrets Manager `cloudoptim/<tenant>/external-id`, which account
registration reads). A given one must be at least 32 characters.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from cloudoptim.onboarding import OnboardingRequest, onboarding_template
from cloudoptim.tenancy.external_id import new_external_id


def add_commands(areas: Any) -> None:
    onboarding = areas.add_parser("onboarding", help="customer onboarding: the per-tenant CloudFormation template")
    commands = onboarding.add_subparsers(dest="command", required=True, metavar="COMMAND")
    template = commands.add_parser("template", help="print the tenant's onboarding template (JSON)")
    template.add_argument("--tenant", required=True, help="tenant id; the role is CloudOptimAccess-<tenant>")
    template.add_argument("--saas-account", required=True, help="12-digit account id of the CloudOptim SaaS")
    template.add_argument(
        "--external-id", help="the tenant's ExternalId (>= 32 characters); default: a new one, printed on stderr"
    )
    template.add_argument(
        "--launch-template",
        action="append",
        default=[],
        required=True,
        help="id of a node group's launch template, the only ones RunInstances may use (repeat or comma-separate)",
    )
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
    external_id = args.external_id
    if external_id is None:
        external_id = new_external_id()
        print(f"cloudoptim: generated ExternalId for tenant {args.tenant}: {external_id}", file=sys.stderr)
    request = OnboardingRequest.model_validate(
        {
            "tenant_id": args.tenant,
            "saas_account_id": args.saas_account,
            "external_id": external_id,
            "launch_template_ids": regions_of(args.launch_template),
            "saas_region": args.saas_region,
            "regions": regions_of(args.region),
            **({"node_role_names": tuple(args.node_role)} if args.node_role else {}),
        }
    )
    return json.dumps(onboarding_template(request), indent=2)


def regions_of(values: Sequence[str]) -> tuple[str, ...]:
    """`--region a --region b,c` -> (a, b, c) (also for launch templates)."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())
