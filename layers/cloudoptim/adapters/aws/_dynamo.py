"""PynamoDB exceptions -> our typed errors."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBConnectionError, PynamoDBException

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.errors import CloudOptimError, TransientAwsError


def dynamo_error(exc: PynamoDBException, what: str) -> CloudOptimError:
    cause = getattr(exc, "cause", None)
    if isinstance(cause, Exception) and not isinstance(cause, PynamoDBException):
        return translate(cause, what)
    if isinstance(exc, PynamoDBConnectionError):
        return TransientAwsError(f"{what}: {exc}")
    return translate(exc, what)


def is_condition_failure(exc: PynamoDBException) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
