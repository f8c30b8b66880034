"""An API app over in-memory fakes with a local issuer: what the functional API tests call through TestClient."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from cloudoptim.api.app import create_app
from cloudoptim.api.auth import JwtVerifier
from cloudoptim.api.context import ApiDeps
from cloudoptim.notifications.ports import NotificationsApi
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.tenancy.deps import SaasIdentity, TenancyDeps
from localmode.issuer import AUDIENCE, LocalIssuer
from localmode.signer import LocalSigner
from tests.fakes.aws import FakeAudit, FakeBusPolicy, FakeExternalIds, FakeRegistry, FakeRoleCheck
from tests.fakes.notifications import FakeWebhookSecrets, RecordingBus
from tests.fakes.pricing import MemoryPriceTable
from tests.fakes.tenancy import (
    FakeAccountProbe,
    FakeClusterProbe,
    FakeClusterTokens,
    FakeDirectory,
    FakeWorkflows,
    MemoryDocuments,
    MemoryRequestLog,
)

ISSUER = "http://127.0.0.1:0/local-issuer"


@dataclass
class Clock:
    now: float = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class ApiWorld:
    issuer: LocalIssuer
    tenancy: TenancyDeps
    optimization: OptimizationDeps
    clock: Clock
    app: FastAPI
    client: TestClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = TestClient(self.app, raise_server_exceptions=False)

    def headers(self, tenant: str, role: str = "admin", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.token(tenant, role)}", **extra}


def api_world(state: Path) -> ApiWorld:
    issuer = LocalIssuer.load(ISSUER, state)
    external_ids = FakeExternalIds()
    tenancy = TenancyDeps(
        documents=MemoryDocuments(),
        audit=FakeAudit(),
        requests=MemoryRequestLog(),
        external_ids=external_ids,
        accounts=FakeAccountProbe(external_ids),
        clusters=FakeClusterProbe(),
        tokens=FakeClusterTokens(),
        users=FakeDirectory(),
        registry=FakeRegistry(),
        bus=FakeBusPolicy(),
        role_check=FakeRoleCheck(),
        signer=LocalSigner.load(state),
        saas=SaasIdentity(account_id="123456789012", region="eu-west-1"),
    )
    clock = Clock()
    verifier = JwtVerifier(ISSUER, AUDIENCE, ISSUER + "/jwks", fetch=lambda _: issuer.jwks(), clock=clock)
    optimization = OptimizationDeps(documents=tenancy.documents, audit=tenancy.audit, workflows=FakeWorkflows())
    app = create_app(ApiDeps(tenancy=tenancy, optimization=optimization, verifier=verifier, clock=clock,
                             prices=MemoryPriceTable(),
                             notifications=NotificationsApi(FakeWebhookSecrets(), RecordingBus())))  # fmt: skip
    return ApiWorld(issuer, tenancy, optimization, clock, app)
