"""Typed errors of the product. Each maps to one exit code (CLI) or HTTP status (API) in one place.

No SDK is imported here: use cases raise and catch these, adapters translate SDK exceptions into them
(`cloudoptim.adapters.aws.errors.translate`, `cloudoptim.adapters.kube.api_errors`). Step Functions retries
on the class name (`TransientAwsError`), so names are part of the platform contract.
"""

from __future__ import annotations

from typing import ClassVar


class CloudOptimError(Exception):
    """Base class: the message is one clear line naming the problem."""


class InputFileError(CloudOptimError):
    """A file given to us cannot be read or is not in the expected format."""


class UnknownRegionError(CloudOptimError):
    """The region is not covered by the data at hand."""


class NoPoolFitsError(CloudOptimError):
    """No instance type meets the requirements."""


class InvalidArgumentError(CloudOptimError):
    """An option value is out of range or malformed."""


class AwsAdapterError(CloudOptimError):
    """An AWS call failed for a reason retrying will not fix."""


class TransientAwsError(AwsAdapterError):
    """Throttling, a 5xx or a dropped connection: retry with backoff."""


class AccessDeniedError(AwsAdapterError):
    """The customer's role could not be assumed or does not allow the call."""


class ClaimInProgressError(CloudOptimError):
    """Another invocation holds the claim and may still finish: retry shortly, never treat it as a duplicate."""


class DeliveryError(CloudOptimError):
    """A notification could not be delivered (the webhook refused it, timed out or is not allowed): the event is
    retried and, when retries run out, kept in the dead-letter queue."""


class AccountTakenError(CloudOptimError):
    """The AWS account is already registered to another tenant."""


class RecordNotFoundError(CloudOptimError):
    """A registry item the pipeline needs is missing (tenant, cluster, node group, subnet)."""


class KubeError(CloudOptimError):
    """Talking to a customer's Kubernetes API server failed. `retryable`: whether trying again later can help."""

    retryable: ClassVar[bool] = False


class KubeCredentialsError(KubeError):
    """No bearer token could be made for the cluster (STS presign failed, secret missing or empty)."""


class KubeAuthError(KubeError):
    """The API server refused the token (401) or the role lacks an RBAC permission (403)."""


class KubeTlsError(KubeError):
    """The API server's certificate does not verify against the cluster CA from the registry."""


class KubeNotFoundError(KubeError):
    """The object the operation needs does not exist (404 on a write)."""


class KubeConflictError(KubeError):
    """The API server refused a write because the object changed meanwhile (409)."""

    retryable = True


class KubeThrottledError(KubeError):
    """429 that is not a disruption budget refusal: API priority and fairness asked us to slow down."""

    retryable = True


class KubeUnavailableError(KubeError):
    """The API server could not be reached or answered 5xx; the control plane may be busy or upgrading."""

    retryable = True


class KubeApiError(KubeError):
    """Any other refusal (400, 422, ...): retrying the same request will not help."""


class NotFoundError(CloudOptimError):
    """The resource does not exist for this tenant (another tenant's resource answers the same)."""


class ConflictError(CloudOptimError):
    """The request conflicts with what exists: a duplicate name, a reused idempotency key with another body."""


class PreconditionFailedError(CloudOptimError):
    """If-Match names a version that is no longer current: someone else changed the resource first."""


class PreconditionRequiredError(CloudOptimError):
    """An update without If-Match: the caller must say which version it read."""


class AuthenticationError(CloudOptimError):
    """No token, or a token that does not verify (signature, issuer, audience, expiry, claims)."""


class PermissionDeniedError(CloudOptimError):
    """The caller's role does not allow this action on its own tenant's resources."""


class FieldError(CloudOptimError):
    """A request field has a value the domain refuses; `field` names it (dotted path)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class ModelRefusedError(CloudOptimError):
    """An uploaded model artifact the registry will not store or use: a pickle, another contract, a bad checksum."""


class RegistryConflictError(CloudOptimError):
    """The model registry changed between read and write (another writer won the conditional write)."""
