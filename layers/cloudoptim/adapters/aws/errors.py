"""SDK exceptions -> the product's typed errors (cloudoptim.errors), in one place for every AWS adapter.

Step Functions retries on the class name (`TransientAwsError`); ingest turns it into a batch item failure
so SQS redelivers. Every other error is permanent: retrying would fail the same way.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, EndpointConnectionError

from cloudoptim.errors import AccessDeniedError, AwsAdapterError, CloudOptimError, TransientAwsError

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
