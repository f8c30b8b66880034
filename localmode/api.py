"""The product API in local mode: the same FastAPI app and DynamoDB stores as in AWS, served by uvicorn beside the
local stack; tokens come from the local issuer, whose JWKS this server publishes, and are verified exactly as
Cognito's are. What has no local AWS twin is replaced narrowly: the user directory (no Cognito) and the
checkpoint signer (a key on disk instead of KMS)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI

from cloudoptim.api.app import create_app
from cloudoptim.settings import ApiSettings
from cloudoptim.wiring.api import api_deps, tenancy
from localmode.aws import ACCOUNT_ID
from localmode.issuer import AUDIENCE, JWKS_PATH, LocalIssuer
from localmode.signer import LocalSigner

ISSUER_REGION = "eu-west-1"
ISSUER = "https://cloudoptim.local/issuer"  # what tokens say; the JWKS comes from this server


@dataclass
class LocalDirectory:
    """Users invited in local mode: recorded here; `cloudoptim local token` logs anyone in."""

    users: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    def invite(self, tenant: str, email: str, role: str) -> str:
        subject = f"local-user-{next(self._serial):04d}"
        self.users[subject] = (tenant, email, role)
        return subject

    def set_role(self, tenant: str, subject: str, role: str) -> None:
        if subject in self.users:
            self.users[subject] = (tenant, self.users[subject][1], role)

    def remove(self, tenant: str, subject: str) -> None:
        self.users.pop(subject, None)


def local_app(
    tables: dict[str, str], endpoint_url: str, region: str, port: int, api_env: Mapping[str, str] | None = None
) -> FastAPI:
    """`api_env`: the deployed API function's environment, where the state machines' ARNs are."""
    settings = ApiSettings.from_env(
        {
            "REGISTRY_TABLE": tables["REGISTRY_TABLE"],
            "AUDIT_TABLE": tables["AUDIT_TABLE"],
            "API_ISSUER": ISSUER,
            "API_AUDIENCE": AUDIENCE,
            "API_JWKS_URL": f"http://127.0.0.1:{port}{JWKS_PATH}",
            "SAAS_ACCOUNT_ID": ACCOUNT_ID,
            "AUDIT_KEY_ID": "local",
            "NOTIFY_ALLOW_LOOPBACK": "true",  # the local webhook receiver listens on 127.0.0.1
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_REGION": region,
            **({"PRICES_TABLE": tables["PRICES_TABLE"]} if "PRICES_TABLE" in tables else {}),
            **({"HIVE_MIND_TABLE": tables["HIVE_MIND_TABLE"]} if "HIVE_MIND_TABLE" in tables else {}),
            **workflow_arns(api_env or {}),
        }
    )
    signer = LocalSigner.load()
    app = create_app(api_deps(settings, tenancy(settings, users=LocalDirectory(), signer=signer)))
    issuer = LocalIssuer.load(ISSUER)

    def jwks() -> Any:
        return issuer.jwks()

    app.add_api_route(JWKS_PATH, jwks, include_in_schema=False)
    return app


@dataclass
class LocalApiServer:
    """uvicorn in a thread; `start()` returns when the server answers."""

    app: FastAPI
    port: int
    host: str = "127.0.0.1"
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> str:
        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="local-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the local API did not start on {self.url} (is the port free?)")
            time.sleep(0.05)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


def token(tenant: str, role: str, ttl_seconds: int = 12 * 3600, groups: tuple[str, ...] = ()) -> str:
    """A bearer token for `cloudoptim local up`'s API (the same key, in the state folder); `groups` as Cognito's
    `cognito:groups` claim (PLATFORM_OPERATORS makes an admin a platform operator)."""
    return LocalIssuer.load(ISSUER).token(tenant, role, ttl_seconds=ttl_seconds, groups=groups)


def workflow_arns(api_env: Mapping[str, str]) -> dict[str, str]:
    """The state machines, bucket and tables the API reaches beyond the registry (the deployed stack names them):
    the sweep and execution machines always (a missing one fails on start), the model registry's only if deployed."""
    keys = ("SWEEP_STATE_MACHINE_ARN", "EXECUTION_STATE_MACHINE_ARN")
    arns = {key: api_env.get(key, f"arn:aws:states:{ISSUER_REGION}:{ACCOUNT_ID}:stateMachine:missing") for key in keys}
    optional = ("MODEL_BUCKET", "VALIDATE_MODEL_STATE_MACHINE_ARN", "HIVE_MIND_TABLE")
    return arns | {key: api_env[key] for key in optional if api_env.get(key)}
