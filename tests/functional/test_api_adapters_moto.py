"""The API's AWS adapters against moto: the role probe, the EKS cluster probe, cluster tokens, Cognito users and
the KMS checkpoint signer (whose signatures the export verifier accepts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws.account_probe import StsAccountProbe
from cloudoptim.adapters.aws.cluster_probe import EksClusterProbe
from cloudoptim.adapters.aws.cluster_tokens import SecretsClusterTokens
from cloudoptim.adapters.aws.cognito import CognitoDirectory
from cloudoptim.adapters.aws.kms_signer import KmsSigner
from cloudoptim.audit.verify import verify_signature
from cloudoptim.errors import ConflictError, KubeUnavailableError
from tests.fakes.kube import FakeKube
from tests.fakes.tenancy import FakeExternalIds

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


def test_the_role_probe_assumes_and_checks_without_side_effects() -> None:
    found = StsAccountProbe().verify("123456789012", role(), "x" * 40, [REGION])
    assert found.assumed
    assert set(found.checks) >= {f"ec2:DescribeInstances ({REGION})", f"eks:ListClusters ({REGION})"}


def test_the_cluster_probe_describes_then_reaches_the_api() -> None:
    arn = role()
    eks = boto3.client("eks")
    eks.create_cluster(name="prod", roleArn=arn, resourcesVpcConfig={"subnetIds": []})
    ids = FakeExternalIds()
    ids.create("acme", "123456789012")
    connected: list[Any] = []

    def connector(access: Any, **_: Any) -> FakeKube:
        connected.append(access)
        return FakeKube()

    cluster = {"name": "prod", "region": REGION, "credentials": {"kind": "eks"}}
    account = {"aws_account_id": "123456789012", "role_arn": arn}
    found = EksClusterProbe(ids, connector=connector).check("acme", cluster, account)
    assert found.reachable and found.endpoint and found.endpoint.startswith("https://")
    assert connected[0].endpoint == found.endpoint

    def unreachable(access: Any, **_: Any) -> FakeKube:
        kube = FakeKube()
        kube.fail("get_node", KubeUnavailableError("API server unreachable"))
        return kube

    down = EksClusterProbe(ids, connector=unreachable).check("acme", cluster, account)
    assert not down.reachable and down.checks == {
        "sts:AssumeRole": True,
        "eks:DescribeCluster": True,
        "get nodes": False,
    }


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
