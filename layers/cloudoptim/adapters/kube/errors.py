"""Typed errors of the Kubernetes adapter: what went wrong talking to a customer's API server.

`retryable` tells a caller (a Step Functions Retry, a drain loop) whether trying again later can help.
"""

from __future__ import annotations

from typing import ClassVar

from cloudoptim.errors import CloudOptimError


class KubeError(CloudOptimError):
    """Base of the Kubernetes adapter's errors."""

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
