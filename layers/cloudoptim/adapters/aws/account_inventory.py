"""`AccountInventory` (cloudoptim.waste.ports) on EC2 through the tenant's role: DescribeInstances and
DescribeVolumes (paginated), DescribeAddresses, and DescribeFlowLogs to say whether flow-log data exists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.adapters.ec2_shapes import addresses_of, instances_of, volumes_of
from cloudoptim.adapters.tenant_access import TenantAccounts
from cloudoptim.tenancy.ports import Json
from engines.waste.model import Inventory


def _pages(call: Any, key: str, what: str, **request: Any) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        try:
            page = call(**request, **({"NextToken": token} if token else {}))
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, what) from exc
        yield {key: page.get(key) or []}
        token = page.get("NextToken") or None
        if token is None:
            return


class Ec2AccountInventory:
    def __init__(self, accounts: TenantAccounts) -> None:
        self._accounts = accounts

    def inventory(self, tenant: str, account: Json, region: str) -> Inventory:
        ec2 = self._accounts.client(tenant, account, "ec2", region, "waste")
        where = f"account {account['aws_account_id']} {region}"
        reservations = [r for p in _pages(ec2.describe_instances, "Reservations", f"DescribeInstances {where}")
                        for r in p["Reservations"]]  # fmt: skip
        volumes = [v for p in _pages(ec2.describe_volumes, "Volumes", f"DescribeVolumes {where}") for v in p["Volumes"]]
        try:
            addresses = ec2.describe_addresses().get("Addresses") or []
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"DescribeAddresses {where}") from exc
        instances = instances_of({"Reservations": reservations}, where)
        vpcs = sorted({str(i["VpcId"]) for r in reservations for i in r.get("Instances") or [] if i.get("VpcId")})
        return Inventory(
            region=region,
            instances=instances,
            volumes=volumes_of({"Volumes": volumes}, where),
            addresses=addresses_of({"Addresses": addresses}, where),
            flows=None,
            flows_note=self._flow_note(ec2, vpcs, where),
        )

    def _flow_note(self, ec2: Any, vpcs: list[str], where: str) -> str:
        if not vpcs:
            return f"no instances with a VPC in {where}: no traffic to assess"
        filters = [{"Name": "resource-id", "Values": vpcs}]
        logs = [f for p in _pages(ec2.describe_flow_logs, "FlowLogs", f"DescribeFlowLogs {where}", Filter=filters)
                for f in p["FlowLogs"]]  # fmt: skip
        if not logs:
            return f"no VPC flow logs on {', '.join(vpcs)}: cross-AZ traffic cannot be measured (enable flow logs)"
        destinations = ", ".join(sorted({str(f.get("LogDestinationType", "cloud-watch-logs")) for f in logs}))
        covered = ", ".join(sorted({str(f.get("ResourceId")) for f in logs}))
        return f"flow logs exist on {covered} ({destinations}); CloudOptim's role may not read them yet: not assessed"
