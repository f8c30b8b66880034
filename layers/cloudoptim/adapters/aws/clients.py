"""botocore clients without boto3, from one shared session.

Why not boto3: it adds s3transfer and the resource layer (about 60 ms of every cold start) and no function uses
either. One botocore session per container keeps its loaded service models; assumed-role credentials are passed
per client. `create_client` initialises the session's components lazily and is not safe to race, hence the lock.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any

import botocore.session

_LOCK = threading.Lock()


@functools.cache
def shared_session() -> botocore.session.Session:
    return botocore.session.get_session()


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str


def client(
    service: str,
    region: str | None = None,
    endpoint_url: str | None = None,
    credentials: Credentials | None = None,
) -> Any:
    """A low-level client; `credentials` for an assumed role, else the function's own (environment) ones."""
    keys: dict[str, str] = {}
    if credentials is not None:
        keys = {
            "aws_access_key_id": credentials.access_key_id,
            "aws_secret_access_key": credentials.secret_access_key,
            "aws_session_token": credentials.session_token,
        }
    with _LOCK:
        return shared_session().create_client(service, region_name=region, endpoint_url=endpoint_url, **keys)


@dataclass(frozen=True, slots=True)
class TenantSession:
    """Clients in a tenant's account through its assumed role (what a boto3.Session was used for).

    Each client is built once per service, region and endpoint and kept with the session (a botocore client costs
    ~10 ms of CPU to build; they are thread-safe): the clients live exactly as long as the credentials they hold,
    since StsSessions replaces the whole session before those expire."""

    credentials: Credentials
    region: str
    _clients: dict[tuple[str, str, str | None], Any] = field(default_factory=dict, compare=False, repr=False)

    def client(self, service: str, region_name: str | None = None, endpoint_url: str | None = None) -> Any:
        key = (service, region_name or self.region, endpoint_url)
        found = self._clients.get(key)
        if found is None:
            found = self._clients.setdefault(key, client(service, key[1], endpoint_url, self.credentials))
        return found
