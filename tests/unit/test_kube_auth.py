"""Bearer tokens for customer clusters: the EKS presigned-STS format and the Secrets Manager path."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.kube.auth import (
    EKS_TOKEN_PREFIX,
    ClusterAccess,
    bearer_token,
    eks_token,
    is_eks_token,
    service_account_token,
)
from cloudoptim.errors import KubeCredentialsError

REGION = "eu-west-1"


def _decode(token: str) -> tuple[str, dict[str, list[str]]]:
    assert token.startswith(EKS_TOKEN_PREFIX)
    body = token[len(EKS_TOKEN_PREFIX) :]
    assert "=" not in body  # padding stripped, as aws-iam-authenticator expects
    url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    return url, parse_qs(urlparse(url).query)


@pytest.fixture
def sts() -> Iterator[Any]:
    with mock_aws():
        role = boto3.client("sts", region_name=REGION).assume_role(
            RoleArn="arn:aws:iam::123456789012:role/CloudOptimAccess-acme", RoleSessionName="cloudoptim"
        )["Credentials"]
        session = boto3.Session(
            aws_access_key_id=role["AccessKeyId"],
            aws_secret_access_key=role["SecretAccessKey"],
            aws_session_token=role["SessionToken"],
            region_name=REGION,
        )
        yield session.client("sts", region_name=REGION)


def test_eks_token_is_a_presigned_regional_get_caller_identity(sts: Any) -> None:
    url, query = _decode(eks_token(sts, "prod-eu"))
    assert url.startswith(f"https://sts.{REGION}.amazonaws.com/?")
    assert query["Action"] == ["GetCallerIdentity"]
    assert query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-SignedHeaders"] == ["host;x-k8s-aws-id"]
    assert "X-Amz-Security-Token" in query  # the assumed role's session, not the SaaS account's keys


def test_eks_token_shape_is_recognised(sts: Any) -> None:
    assert is_eks_token(eks_token(sts, "prod-eu"))
    assert not is_eks_token("k8s-aws-v1.bm90LWEtdXJs")  # "not-a-url"
    assert not is_eks_token("eyJhbGciOiJSUzI1NiJ9.service-account.jwt")


def test_each_token_names_its_own_cluster(sts: Any) -> None:
    first = _decode(eks_token(sts, "a"))[1]["X-Amz-Signature"]
    second = _decode(eks_token(sts, "b"))[1]["X-Amz-Signature"]
    assert first != second
    # Repeated calls must not stack botocore handlers on the injected client.
    handlers = sts.meta.events._emitter._handlers.prefix_search("before-sign.sts.GetCallerIdentity")
    assert len(handlers) == 1


@mock_aws
def test_service_account_token_from_secrets_manager() -> None:
    secrets = boto3.client("secretsmanager", region_name=REGION)
    raw = secrets.create_secret(Name="acme/prod", SecretString="eyJhbGciOi.token.sig\n")["ARN"]
    wrapped = secrets.create_secret(Name="acme/json", SecretString=json.dumps({"token": "jwt-2"}))["ARN"]
    access = ClusterAccess.model_validate(
        {"cluster": "prod", "endpoint": "https://k", "credentials": {"kind": "secret", "secret_arn": raw}}
    )
    assert bearer_token(access, secrets_client=secrets) == "eyJhbGciOi.token.sig"
    assert service_account_token(secrets, wrapped) == "jwt-2"


@mock_aws
def test_missing_or_empty_secret_is_a_credentials_error() -> None:
    secrets = boto3.client("secretsmanager", region_name=REGION)
    empty = secrets.create_secret(Name="acme/empty", SecretString="{}")["ARN"]
    with pytest.raises(KubeCredentialsError, match="no token"):
        service_account_token(secrets, empty)
    with pytest.raises(KubeCredentialsError, match="cannot read"):
        service_account_token(secrets, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:absent")


def test_eks_access_without_sts_client_is_refused() -> None:
    access = ClusterAccess(cluster="prod", endpoint="https://k", credentials={"kind": "eks"})
    with pytest.raises(KubeCredentialsError, match="STS client"):
        bearer_token(access)
