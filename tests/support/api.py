"""An API app over in-memory fakes with a local issuer: what the functional API tests call through TestClient."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from cloudoptim.api.app import create_app
from cloudoptim.api.auth import JwtVerifier
from cloudoptim.api.context import ApiDeps
from cloudoptim.models.admin import ModelAdminDeps
from cloudoptim.models.registry import RegistryDeps
from cloudoptim.notifications.ports import NotificationsApi
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.tenancy.deps import SaasIdentity, TenancyDeps
from localmode.issuer import AUDIENCE, LocalIssuer
from localmode.signer import LocalSigner
from tests.fakes.aws import FakeAudit, FakeBusPolicy, FakeExternalIds, FakeRegistry, FakeRoleCheck
from tests.fakes.hive import FakeHiveMind
from tests.fakes.models import FakeArtifacts, FakeInterruptions, FakeRegistryStore, FakeShadowLog, FakeValidations
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
    models: ModelAdminDeps
    hive: FakeHiveMind = field(default_factory=FakeHiveMind)
    client: TestClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = TestClient(self.app, raise_server_exceptions=False)

    def headers(self, tenant: str, role: str = "admin", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.token(tenant, role)}", **extra}

    def platform_operator(self, tenant: str = "cloudoptim", role: str = "admin") -> dict[str, str]:
        """A member of the Cognito group of CloudOptim's own staff (the model registry's routes are theirs)."""
        token = self.issuer.token(tenant, role, email=f"{role}@{tenant}.example", groups=("cloudoptim-operators",))
        return {"Authorization": f"Bearer {token}"}


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
    models = ModelAdminDeps(
        registry=RegistryDeps(artifacts=FakeArtifacts(), store=FakeRegistryStore()),
        validations=FakeValidations(),
        shadow_log=FakeShadowLog(),
        interruptions=FakeInterruptions(),
    )
    hive = FakeHiveMind()
    app = create_app(ApiDeps(tenancy=tenancy, optimization=optimization, verifier=verifier, clock=clock,
                             prices=MemoryPriceTable(), models=models, hive=hive,
                             notifications=NotificationsApi(FakeWebhookSecrets(), RecordingBus())))  # fmt: skip
    return ApiWorld(issuer, tenancy, optimization, clock, app, models, hive)
