"""What the code does in a customer account is what the onboarding template grants, no more and no less.

Every adapter that uses the tenant role runs against moto, and every AWS operation its session's clients prepare
(calls and presigned URLs alike) is recorded by purpose. The test fails when the code calls an action its purpose
does not list (so the template would not grant it, and the session policy would refuse it), or when the template
grants an action no code calls.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws.account_inventory import Ec2AccountInventory
from cloudoptim.adapters.aws.account_probe import StsAccountProbe
from cloudoptim.adapters.aws.auto_scaling import TenantFleets
from cloudoptim.adapters.aws.clients import TenantSession
from cloudoptim.adapters.aws.cluster_probe import EksClusterProbe
from cloudoptim.adapters.aws.ec2 import CustomerEc2, Ec2PoolLocator
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.adapters.kube.connector import ClusterConnector
from cloudoptim.adapters.tenant_access import TenantAccounts, TenantClusterAccess
from cloudoptim.errors import KubeUnavailableError
from cloudoptim.interruptions.ports import ClusterRecord, LaunchSpec, TenantRecord
from cloudoptim.tenancy.actions import IMPLIED_BY, NO_PERMISSION_NEEDED, SESSION_ACTIONS, Purpose, granted_actions
from tests.fakes.aws import FakeExternalIds

REGION = "eu-west-1"
ACCOUNT = "111122223333"
TENANT = TenantRecord("acme", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:role/CloudOptimAccess-acme", (REGION,))
Recorded = dict[str, set[str]]


class RecordingSession:
    """A tenant session whose clients record the IAM action of every operation they prepare."""

    def __init__(self, session: TenantSession, purpose: str, recorded: Recorded) -> None:
        self._session, self._purpose, self._recorded = session, purpose, recorded

    def client(self, service: str, region_name: str | None = None, endpoint_url: str | None = None) -> Any:
        client = self._session.client(service, region_name, endpoint_url)
        prefix = client.meta.service_model.signing_name

        def record(model: Any, **_: Any) -> None:
            self._recorded[self._purpose].add(f"{prefix}:{model.name}")

        client.meta.events.register("provide-client-params.*.*", record)
        return client


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorded]:
    found: Recorded = defaultdict(set)
    original = StsSessions.session

    def session(sessions: StsSessions, tenant: TenantRecord, region: str, purpose: Purpose) -> Any:
        return RecordingSession(original(sessions, tenant, region, purpose), purpose, found)

    monkeypatch.setattr(StsSessions, "session", session)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield found


def _customer_account() -> tuple[str, str]:
    """The tenant's launch template and a subnet, in its own account (moto keeps accounts apart by credentials)."""
    creds = boto3.client("sts", region_name=REGION).assume_role(RoleArn=TENANT.role_arn, RoleSessionName="setup")
    keys = creds["Credentials"]
    ec2 = boto3.client(
        "ec2", region_name=REGION, aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"], aws_session_token=keys["SessionToken"],
    )  # fmt: skip
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]
    template = ec2.create_launch_template(LaunchTemplateName="workers", LaunchTemplateData={"ImageId": "ami-12c6146b"})
    return template["LaunchTemplate"]["LaunchTemplateId"], subnet["SubnetId"]


def _customer_client(service: str) -> Any:
    """A client in the tenant's account for setting things up (not recorded: no purpose's session)."""
    keys = boto3.client("sts", region_name=REGION).assume_role(RoleArn=TENANT.role_arn, RoleSessionName="setup")
    return boto3.client(
        service, region_name=REGION, aws_access_key_id=keys["Credentials"]["AccessKeyId"],
        aws_secret_access_key=keys["Credentials"]["SecretAccessKey"],
        aws_session_token=keys["Credentials"]["SessionToken"],
    )  # fmt: skip


class _Unreachable:
    """The cluster check's Kubernetes side: not this test's business (it makes no AWS call)."""

    def connect(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> Any:
        raise KubeUnavailableError("not reached in this test")


def _eks_cluster(name: str) -> None:
    creds = boto3.client("sts", region_name=REGION).assume_role(RoleArn=TENANT.role_arn, RoleSessionName="setup")
    keys = creds["Credentials"]
    eks = boto3.client(
        "eks", region_name=REGION, aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"], aws_session_token=keys["SessionToken"],
    )  # fmt: skip
    eks.create_cluster(name=name, roleArn=TENANT.role_arn, resourcesVpcConfig={"subnetIds": []})


def _node_group(cluster: str, name: str, subnet: str) -> None:
    creds = boto3.client("sts", region_name=REGION).assume_role(RoleArn=TENANT.role_arn, RoleSessionName="setup")
    keys = creds["Credentials"]
    eks = boto3.client(
        "eks", region_name=REGION, aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"], aws_session_token=keys["SessionToken"],
    )  # fmt: skip
    eks.create_nodegroup(clusterName=cluster, nodegroupName=name, nodeRole=TENANT.role_arn, subnets=[subnet],
                         scalingConfig={"minSize": 2, "maxSize": 10, "desiredSize": 6},
                         tags={"cloudoptim.io/hibernate": "true"})  # fmt: skip


def test_the_code_calls_exactly_what_the_template_grants(recorded: Recorded) -> None:
    template, subnet = _customer_account()
    sessions = StsSessions(FakeExternalIds({"acme": "x" * 43}), boto3.client("sts", region_name=REGION))
    cloud = CustomerEc2(sessions)
    tags = {"cloudoptim:tenant": "acme", "cloudoptim:replaces": "i-0123456789abcdef0"}
    spec = LaunchSpec(template, "$Default", "m5.large", subnet, "spot", tags, "token-1")
    launched = cloud.launcher(TENANT, REGION).launch(spec)  # launch_replacement
    assert Ec2PoolLocator(sessions).locate(TENANT, REGION, launched.instance_id) is not None  # ingest
    assert cloud.terminator(TENANT, REGION).terminate(launched.instance_id, tags)  # terminate_replacement
    cluster = ClusterRecord("acme", "prod", "https://127.0.0.1:1", "", {"kind": "eks"})
    ClusterConnector(sessions).connect(TENANT, cluster, REGION)  # the Kubernetes steps sign an EKS token
    assert StsAccountProbe(sessions).verify(TENANT).assumed  # the API verifies an account (DryRun reads)
    _eks_cluster("prod")
    connector = _Unreachable()
    account = {"aws_account_id": ACCOUNT, "role_arn": TENANT.role_arn}
    checked = EksClusterProbe(sessions, connector).check("acme", {"name": "prod", "region": REGION}, account)
    assert checked.checks.get("eks:DescribeCluster"), checked  # the cluster check
    # The scheduled jobs (issue 15): the waste scan's EC2 inventory, discovery's and hibernation's node groups.
    accounts = TenantAccounts(sessions)
    owned: dict[str, Any] = {**account, "regions": [REGION]}
    assert Ec2AccountInventory(accounts).inventory("acme", owned, REGION).region == REGION  # waste_scan
    _node_group("prod", "general", subnet)
    prod = {"name": "prod", "region": REGION}
    assert "general" in TenantClusterAccess(accounts).describe("acme", prod, owned)  # discover_clusters
    asleep = TenantClusterAccess(accounts, node_group_purpose="hibernate").node_groups("acme", prod, owned)
    asleep.resize("general", 0, 10, 0)  # hibernation_step
    assert asleep.sizes(["general"])[0].desired == 0
    # The execution workflows (issue 14): a drained node leaves its Auto Scaling group, the group shrinking.
    ec2, autoscaling = _customer_client("ec2"), _customer_client("autoscaling")
    node = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]
    group = {"LaunchTemplate": {"LaunchTemplateId": template}, "VPCZoneIdentifier": subnet}
    autoscaling.create_auto_scaling_group(AutoScalingGroupName="eks-general", MinSize=0, MaxSize=3, **group)
    autoscaling.attach_instances(InstanceIds=[node["InstanceId"]], AutoScalingGroupName="eks-general")
    fleet = TenantFleets(sessions).fleet(TENANT, REGION)
    assert fleet.group_of(node["InstanceId"]) == "eks-general" and fleet.tags_of(node["InstanceId"]) is not None
    assert fleet.terminate_in_group(node["InstanceId"])  # execute_step

    for purpose, actions in recorded.items():  # no session does more than its purpose (session policy, template)
        assert actions <= set(SESSION_ACTIONS[purpose]), purpose  # type: ignore[index]
    called = set().union(*recorded.values())
    implied = {action for action, trigger in IMPLIED_BY.items() if trigger in called}
    assert called | implied == granted_actions() | NO_PERMISSION_NEEDED  # and every grant is used
