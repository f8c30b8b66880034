"""Where a customer cluster is and how we prove who we are to it.

Two credential kinds come from the registry (docs/platform-contract.md): `{"kind": "eks"}` signs an STS
GetCallerIdentity URL with the assumed customer role (what `aws eks get-token` does; the cluster maps the role
through its access entries or aws-auth), `{"kind": "secret", "secret_arn": ...}` reads a service-account token
from Secrets Manager for clusters that do not map IAM roles.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from cloudoptim.errors import KubeCredentialsError

EKS_TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
# EKS accepts presigned URLs for 15 minutes whatever X-Amz-Expires says; 60 s is what the AWS CLI asks.
TOKEN_URL_EXPIRY_SECONDS = 60


class EksCredentials(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["eks"] = "eks"


class SecretCredentials(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["secret"] = "secret"
    secret_arn: str


class ClusterAccess(BaseModel):
    """A registry cluster item's connection fields.

    >>> ClusterAccess.model_validate({"cluster": "prod", "endpoint": "https://x.eks.amazonaws.com",
    ...     "ca_data": "LS0t", "credentials": {"kind": "eks"}}).credentials.kind
    'eks'
    """

    model_config = ConfigDict(frozen=True)
    cluster: str
    endpoint: str
    ca_data: str | None = None  # base64 PEM, as EKS DescribeCluster returns certificateAuthority.data
    credentials: Annotated[EksCredentials | SecretCredentials, Field(discriminator="kind")]

    @field_validator("endpoint")
    @classmethod
    def _https(cls, value: str) -> str:
        """The bearer token goes in every request's header: never over plain http."""
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"the cluster endpoint must be an https URL, got {value!r}")
        return value


def eks_token(sts_client: Any, cluster: str) -> str:
    """A bearer token for an EKS cluster from an STS client holding the assumed role's credentials.

    The client should be regional (`sts.<region>.amazonaws.com`), as EKS verifies against that endpoint.
    """
    # The cluster name must be a signed header so the token cannot be replayed against another cluster.
    # botocore's event hooks are the one place a header can be added before presigning; unique ids keep
    # repeated calls on one client from stacking handlers.
    events = sts_client.meta.events
    events.register(
        "provide-client-params.sts.GetCallerIdentity", _stash_cluster_id, unique_id="cloudoptim-k8s-id-params"
    )
    events.register("before-sign.sts.GetCallerIdentity", _sign_cluster_id, unique_id="cloudoptim-k8s-id-sign")
    try:
        url = sts_client.generate_presigned_url(
            "get_caller_identity",
            Params={"K8sAwsId": cluster},
            ExpiresIn=TOKEN_URL_EXPIRY_SECONDS,
            HttpMethod="GET",
        )
    except (BotoCoreError, ClientError) as exc:
        raise KubeCredentialsError(f"cannot presign an EKS token for cluster {cluster}: {exc}") from exc
    return EKS_TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def is_eks_token(token: str) -> bool:
    """Whether a bearer token has the EKS shape: a presigned, regional STS GetCallerIdentity URL that signs the
    cluster header. Only AWS can check the signature; local mode's emulator uses this to accept EKS-kind clusters.
    """
    if not token.startswith(EKS_TOKEN_PREFIX):
        return False
    body = token[len(EKS_TOKEN_PREFIX) :]
    try:
        url = urlsplit(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        return False
    query = parse_qs(url.query)
    return (
        url.scheme == "https"
        and url.hostname is not None
        and url.hostname.startswith("sts.")
        and query.get("Action") == ["GetCallerIdentity"]
        and CLUSTER_ID_HEADER in (query.get("X-Amz-SignedHeaders") or [""])[0].split(";")
    )


def _stash_cluster_id(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if "K8sAwsId" in params:
        context["k8s_aws_id"] = params.pop("K8sAwsId")


def _sign_cluster_id(request: Any, **_: Any) -> None:
    if "k8s_aws_id" in request.context:
        request.headers[CLUSTER_ID_HEADER] = request.context["k8s_aws_id"]


def service_account_token(secrets_client: Any, secret_arn: str) -> str:
    """The token stored in a secret: the raw JWT, or JSON with a `token` key."""
    try:
        secret = secrets_client.get_secret_value(SecretId=secret_arn)
    except (BotoCoreError, ClientError) as exc:
        raise KubeCredentialsError(f"cannot read the cluster token secret {secret_arn}: {exc}") from exc
    text = str(secret.get("SecretString") or "").strip()
    if text.startswith("{"):
        try:
            text = str(json.loads(text).get("token") or "").strip()
        except (json.JSONDecodeError, AttributeError) as exc:
            raise KubeCredentialsError(f"secret {secret_arn} holds JSON without a 'token' string") from exc
    if not text:
        raise KubeCredentialsError(f"secret {secret_arn} holds no token")
    return text


def bearer_token(access: ClusterAccess, sts_client: Any = None, secrets_client: Any = None) -> str:
    """The token for the access's credential kind, from the client that kind needs."""
    credentials = access.credentials
    if isinstance(credentials, SecretCredentials):
        if secrets_client is None:
            raise KubeCredentialsError(f"cluster {access.cluster}: a Secrets Manager client is needed")
        return service_account_token(secrets_client, credentials.secret_arn)
    if sts_client is None:
        raise KubeCredentialsError(f"cluster {access.cluster}: an STS client with the customer role is needed")
    return eks_token(sts_client, access.cluster)
