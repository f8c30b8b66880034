"""Typed errors of the AWS adapters and the interruption services.

Step Functions retries on the class name (`TransientAwsError`); ingest turns it into a batch item failure
so SQS redelivers. Every other error is permanent: retrying would fail the same way.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, EndpointConnectionError

from cloudoptim.errors import CloudOptimError

TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InsufficientInstanceCapacity",
    }
)


class AwsAdapterError(CloudOptimError):
    """An AWS call failed for a reason retrying will not fix."""


class TransientAwsError(AwsAdapterError):
    """Throttling, a 5xx or a dropped connection: retry with backoff."""


class AccessDeniedError(AwsAdapterError):
    """The customer's role could not be assumed or does not allow the call."""


class RecordNotFoundError(CloudOptimError):
    """A registry item the pipeline needs is missing (tenant, cluster, node group, subnet)."""


def translate(exc: Exception, what: str) -> CloudOptimError:
    """Map an SDK exception to our typed errors; `what` names the call for the message."""
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        message = str(exc.response.get("Error", {}).get("Message", ""))
        if code in TRANSIENT_CODES or status >= 500:
            return TransientAwsError(f"{what}: {code or status} {message}".strip())
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return AccessDeniedError(f"{what}: {code} {message}".strip())
        return AwsAdapterError(f"{what}: {code} {message}".strip())
    if isinstance(exc, EndpointConnectionError | ConnectionError):
        return TransientAwsError(f"{what}: {exc}")
    if isinstance(exc, BotoCoreError):
        return AwsAdapterError(f"{what}: {exc}")
    return AwsAdapterError(f"{what}: {type(exc).__name__}: {exc}")
