"""The API's AWS adapters against moto: the role probe, the EKS cluster probe, cluster tokens, Cognito users and
the KMS checkpoint signer (whose signatures the export verifier accepts)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws.account_probe import StsAccountProbe
from cloudoptim.adapters.aws.cluster_probe import EksClusterProbe
from cloudoptim.adapters.aws.cluster_tokens import SecretsClusterTokens
from cloudoptim.adapters.aws.cognito import CognitoDirectory
from cloudoptim.adapters.aws.kms_signer import KmsSigner
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.audit.verify import verify_signature
from cloudoptim.errors import ConflictError, KubeUnavailableError
from cloudoptim.interruptions.ports import ClusterRecord, TenantRecord
from tests.fakes.aws import FakeExternalIds
from tests.fakes.kube import FakeKube

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def role(account: str = "123456789012") -> str:
    iam = boto3.client("iam")
    trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'
    )
    return str(iam.create_role(RoleName="CloudOptimAccess-acme", AssumeRolePolicyDocument=trust)["Role"]["Arn"])


def sessions() -> StsSessions:
    ids = FakeExternalIds()
    ids.issue("acme")
    return StsSessions(ids, boto3.client("sts"))


def test_the_role_probe_assumes_as_the_product_does_and_checks_without_side_effects() -> None:
    tenant = TenantRecord("acme", "123456789012", role(), (REGION,))
    found = StsAccountProbe(sessions()).verify(tenant)
    assert found.assumed
    assert found.checks == {
        f"ec2:DescribeInstances ({REGION})": True,
        f"ec2:DescribeAvailabilityZones ({REGION})": True,
    }
    refused = StsAccountProbe(StsSessions(FakeExternalIds(), boto3.client("sts"))).verify(tenant)  # no ExternalId
    assert not refused.assumed and refused.reasons


@dataclass
class Connector:
    kube: FakeKube
    seen: list[ClusterRecord]

    def connect(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> FakeKube:
        self.seen.append(cluster)
        return self.kube


def test_the_cluster_probe_describes_then_reaches_the_api() -> None:
    arn = role()
    boto3.client("eks").create_cluster(name="prod", roleArn=arn, resourcesVpcConfig={"subnetIds": []})
    cluster = {"name": "prod", "region": REGION, "credentials": {"kind": "eks"}}
    account = {"aws_account_id": "123456789012", "role_arn": arn}
    connector = Connector(FakeKube(), [])
    found = EksClusterProbe(sessions(), connector).check("acme", cluster, account)
    assert found.reachable and found.endpoint and found.endpoint.startswith("https://")
    assert connector.seen[0].endpoint == found.endpoint
    down = FakeKube()
    down.fail("get_node", KubeUnavailableError("API server unreachable"))
    found = EksClusterProbe(sessions(), Connector(down, [])).check("acme", cluster, account)
    assert not found.reachable
    assert found.checks == {"sts:AssumeRole": True, "eks:DescribeCluster": True, "get nodes": False}


def test_cluster_tokens_live_under_the_readable_prefix() -> None:
    secrets = boto3.client("secretsmanager")
    tokens = SecretsClusterTokens(secrets)
    arn = tokens.put("acme", "prod", "eyJ...first")
    assert ":secret:cloudoptim/acme/prod/token" in arn
    tokens.put("acme", "prod", "eyJ...second")
    assert secrets.get_secret_value(SecretId="cloudoptim/acme/prod/token")["SecretString"] == "eyJ...second"
    tokens.delete("acme", "prod")
    tokens.delete("acme", "prod")  # idempotent


def test_cognito_users_carry_tenant_and_role_attributes() -> None:
    cognito = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(
        PoolName="p",
        Schema=[{"Name": n, "AttributeDataType": "String", "Mutable": True} for n in ("tenant_id", "role")],
    )["UserPool"]["Id"]
    directory = CognitoDirectory(cognito, pool)
    subject = directory.invite("acme", "ops@acme.example", "operator")
    directory.set_role("acme", subject, "admin")
    user = cognito.admin_get_user(UserPoolId=pool, Username="ops@acme.example")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert (attributes["custom:tenant_id"], attributes["custom:role"], attributes["sub"]) == ("acme", "admin", subject)
    with pytest.raises(ConflictError):
        directory.invite("acme", "ops@acme.example", "viewer")
    directory.remove("acme", subject)


def test_kms_signatures_verify_with_the_published_key() -> None:
    kms = boto3.client("kms")
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signer = KmsSigner(kms, key)
    signature = signer.sign(b"checkpoint")
    (pem,) = signer.public_keys().values()
    assert verify_signature(pem, b"checkpoint", signature)
    assert not verify_signature(pem, b"checkpoinT", signature)
