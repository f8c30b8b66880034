"""What a warm Lambda container keeps between notices, and when it lets go: assumed-role sessions and their clients
(per tenant and role, refreshed before the credentials expire, nothing kept after a failure), Kubernetes connections
(per cluster within the token's lifetime, dropped on a refused token), the tenant and cluster records the Kubernetes
steps repeat (a minute), offerings (per price snapshot) and the risk model's booster (once per model id)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cloudoptim.adapters.aws.sts import REFRESH_MARGIN_SECONDS, StsSessions
from cloudoptim.adapters.day_zero import DayZeroData, load_day_zero
from cloudoptim.adapters.kube.connector import ClusterConnector
from cloudoptim.adapters.recent_registry import RecentRegistry
from cloudoptim.adapters.stored_market import StoredMarket
from cloudoptim.errors import AccessDeniedError, KubeAuthError, KubeCredentialsError, TransientAwsError
from cloudoptim.interruptions.ports import ClusterRecord, TenantRecord
from cloudoptim.models.ports import RegistryState
from cloudoptim.models.scoring import RegistryModels
from cloudoptim.pricing.ports import SpotPoint
from localmode.kube_emulator import KubeEmulator
from localmode.tls import self_signed
from tests.fakes.aws import FakeExternalIds
from tests.fakes.kube_cluster import FakeClock, web_cluster
from tests.fakes.pricing import MemoryPriceTable

REGION = "eu-west-1"
EXPIRY = datetime(2030, 1, 1, tzinfo=UTC)
ACME = TenantRecord("acme", "111122223333", "arn:aws:iam::111122223333:role/CloudOptimAccess-acme", (REGION,))
GLOBEX = TenantRecord("globex", "444455556666", "arn:aws:iam::444455556666:role/CloudOptimAccess-globex", (REGION,))


def _credentials(key: str) -> dict[str, Any]:
    return {"AccessKeyId": key, "SecretAccessKey": "s" * 20, "SessionToken": "t" * 20, "Expiration": EXPIRY}


def _sts(*answers: str) -> tuple[Any, Stubber]:
    """An STS client answering AssumeRole with the given access keys in turn ("denied": an AccessDenied)."""
    client = boto3.client("sts", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    for answer in answers:
        if answer == "denied":
            stubber.add_client_error("assume_role", "AccessDenied", "not trusted", 403)
        else:
            stubber.add_response("assume_role", {"Credentials": _credentials(answer)})
    stubber.activate()
    return client, stubber


def _ids() -> FakeExternalIds:
    return FakeExternalIds({"acme": "ext-acme", "globex": "ext-globex"})


def test_a_sessions_clients_are_built_once_and_go_with_it_when_it_is_refreshed() -> None:
    client, stubber = _sts("AKIAFIRSTXXXXXXXXXXX", "AKIASECONDXXXXXXXXXX")
    clock = [EXPIRY.timestamp() - 3600]
    sessions = StsSessions(_ids(), client, clock=lambda: clock[0])
    first = sessions.session(ACME, REGION, "launch").client("ec2")
    assert sessions.session(ACME, REGION, "launch").client("ec2") is first  # no AssumeRole, no new client
    clock[0] = EXPIRY.timestamp() - REFRESH_MARGIN_SECONDS + 1  # inside the margin: never hand out near-expired keys
    refreshed = sessions.session(ACME, REGION, "launch").client("ec2")
    assert refreshed is not first
    assert refreshed._request_signer._credentials.access_key == "AKIASECONDXXXXXXXXXX"
    stubber.assert_no_pending_responses()


def test_a_tenants_cache_never_serves_another_tenant_nor_another_account() -> None:
    client, stubber = _sts("AKIAACMEXXXXXXXXXXXX", "AKIAGLOBEXXXXXXXXXXX", "AKIAACMESECONDACCTXX")
    sessions = StsSessions(_ids(), client, clock=lambda: EXPIRY.timestamp() - 3600)
    acme = sessions.session(ACME, REGION, "launch").client("ec2")
    globex = sessions.session(GLOBEX, REGION, "launch").client("ec2")
    second_account = sessions.session(ACME.for_account("777788889999"), REGION, "launch").client("ec2")
    keys = {c._request_signer._credentials.access_key for c in (acme, globex, second_account)}
    assert keys == {"AKIAACMEXXXXXXXXXXXX", "AKIAGLOBEXXXXXXXXXXX", "AKIAACMESECONDACCTXX"}
    stubber.assert_no_pending_responses()


def test_a_failed_assume_role_caches_nothing_and_forget_drops_a_tenants_sessions() -> None:
    client, stubber = _sts("denied", "AKIAAFTERXXXXXXXXXXX", "AKIAAGAINXXXXXXXXXXX")
    sessions = StsSessions(_ids(), client, clock=lambda: EXPIRY.timestamp() - 3600)
    with pytest.raises(AccessDeniedError):
        sessions.session(ACME, REGION, "cluster")
    after = sessions.session(ACME, REGION, "cluster")  # the failure was not remembered: AssumeRole again
    assert after.credentials.access_key_id == "AKIAAFTERXXXXXXXXXXX"
    sessions.forget("acme")
    assert sessions.session(ACME, REGION, "cluster").credentials.access_key_id == "AKIAAGAINXXXXXXXXXXX"
    stubber.assert_no_pending_responses()


@dataclass
class CountingSecrets:
    """Secrets Manager's GetSecretValue for one token; counts the reads, can fail."""

    token: str
    reads: int = 0
    fail: bool = False

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        self.reads += 1
        if self.fail:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetSecretValue")
        return {"SecretString": self.token}


def _cluster(emulator: KubeEmulator, ca_data: str, tenant: str = "acme") -> ClusterRecord:
    return ClusterRecord(tenant, "prod", emulator.url, ca_data, {"kind": "secret", "secret_arn": "arn:secret"})


@pytest.fixture
def tls(tmp_path: Path) -> tuple[tuple[Path, Path], str]:
    made = self_signed(tmp_path)
    return (made.cert_file, made.key_file), made.ca_data


def test_a_cluster_connection_is_reused_within_its_lifetime_then_rebuilt(tls: tuple[tuple[Path, Path], str]) -> None:
    certificate, ca_data = tls
    secrets, now = CountingSecrets("sa-token"), [1000.0]
    sessions = StsSessions(_ids(), sts_client=object())  # secret-kind clusters assume no role
    connector = ClusterConnector(sessions, secrets_client=secrets, clock=lambda: now[0], reuse_seconds=600)
    with KubeEmulator(web_cluster(), token="sa-token", clock=FakeClock(), certificate=certificate) as emulator:
        first = connector.connect(ACME, _cluster(emulator, ca_data), REGION)
        assert connector.connect(ACME, _cluster(emulator, ca_data), REGION) is first
        assert first.get_node("node-a") is not None and secrets.reads == 1  # one Secrets Manager read
        other = connector.connect(GLOBEX, _cluster(emulator, ca_data, "globex"), REGION)
        assert other is not first and secrets.reads == 2  # another tenant: a connection of its own
        now[0] += 600
        assert connector.connect(ACME, _cluster(emulator, ca_data), REGION) is not first
        assert secrets.reads == 3


def test_a_refused_token_drops_the_connection_and_a_failed_one_is_never_kept(
    tls: tuple[tuple[Path, Path], str],
) -> None:
    certificate, ca_data = tls
    secrets = CountingSecrets("sa-token")
    connector = ClusterConnector(StsSessions(_ids(), sts_client=object()), secrets_client=secrets, clock=lambda: 0.0)
    with KubeEmulator(web_cluster(), token="sa-token", clock=FakeClock(), certificate=certificate) as emulator:
        cluster = _cluster(emulator, ca_data)
        port = connector.connect(ACME, cluster, REGION)
        assert emulator._server is not None
        emulator._server.token = "rotated"  # the customer rotated the service account's token
        with pytest.raises(KubeAuthError):
            port.get_node("node-a")
        secrets.token, secrets.fail = "rotated", True
        with pytest.raises(KubeCredentialsError):  # the secret cannot be read: nothing cached
            connector.connect(ACME, cluster, REGION)
        secrets.fail = False
        fresh = connector.connect(ACME, cluster, REGION)
        assert fresh is not port and fresh.get_node("node-a") is not None
        assert secrets.reads == 3


def _points(price: float, at: int) -> list[SpotPoint]:
    return [SpotPoint(z, t, price, at) for z in ("euw1-az1", "euw1-az2") for t in ("m5.large", "m5.xlarge")]


@pytest.fixture(scope="module")
def data() -> DayZeroData:
    return load_day_zero()


def test_offerings_are_built_once_per_price_snapshot(data: DayZeroData, monkeypatch: pytest.MonkeyPatch) -> None:
    import cloudoptim.adapters.stored_market as stored

    built: list[int] = []
    original = stored.build_offerings  # type: ignore[attr-defined]

    def counting(*args: Any) -> Any:
        built.append(args[-1])
        return original(*args)

    monkeypatch.setattr(stored, "build_offerings", counting)
    table, clock = MemoryPriceTable(), [0.0]
    table.merge_spot(REGION, _points(0.05, 1_000_000), keep_since=0)
    market = StoredMarket(table, data, clock=lambda: clock[0], ttl_seconds=300)
    first, at = market.offerings(REGION, 2_000_000)
    assert market.offerings(REGION, 2_000_001)[0] is first and built == [at]
    clock[0] = 400  # reloaded, same prices: the offerings are carried over
    assert market.offerings(REGION, 2_000_002)[0] is first and len(built) == 1
    table.merge_spot(REGION, _points(0.09, 1_000_100), keep_since=0)  # a new scrape
    assert market.offerings(REGION, 2_000_003)[0] is first  # not reloaded yet: still the snapshot it has
    clock[0] = 800
    changed, changed_at = market.offerings(REGION, 2_000_004)
    assert changed is not first and changed_at == 1_000_100 and len(built) == 2
    assert {round(o.spot_price, 2) for o in changed if o.availability_zone == "euw1-az1"} == {0.09}


@dataclass
class OneModel:
    """A registry with one active model; counts the artifact downloads and the booster loads."""

    downloads: int = 0
    loads: list[str] = field(default_factory=list)

    def load(self) -> RegistryState:
        return RegistryState(active="m-1")

    def get(self, model_id: str) -> Mapping[str, bytes]:
        self.downloads += 1
        return {"model.txt": b""}

    def record(self, entry: Any) -> None:
        return None


def test_the_booster_is_loaded_once_per_model_id(data: DayZeroData) -> None:
    registry = OneModel()

    class Booster:
        def probabilities(self, *args: Any) -> dict[Any, float]:
            return {}

    def loader(files: Mapping[str, bytes], model_id: str) -> Any:
        registry.loads.append(model_id)
        return Booster()

    models = RegistryModels(registry, registry, data, registry, loader=loader)  # type: ignore[arg-type]
    region = next(r for r in ("eu-west-1", "us-east-1") if data.price_history(r) is not None)
    for now, at in ((100, 1), (110, 2), (200, 2)):  # a new price snapshot scores again, never reloads
        assert models.active(region, at, now) is not None
    assert registry.loads == ["m-1"] and registry.downloads == 1


@dataclass
class CountingRegistry:
    """The two reads the Kubernetes steps repeat; counts them, can fail."""

    reads: list[tuple[str, ...]] = field(default_factory=list)
    fail: bool = False

    def tenant(self, tenant_id: str) -> TenantRecord:
        self.reads.append(("tenant", tenant_id))
        if self.fail:
            raise TransientAwsError("GetItem: throttled")
        return ACME if tenant_id == "acme" else GLOBEX

    def cluster(self, tenant_id: str, cluster: str) -> ClusterRecord:
        self.reads.append(("cluster", tenant_id, cluster))
        return ClusterRecord(tenant_id, cluster, f"https://{tenant_id}.example", "", {"kind": "eks"})


def test_the_kube_steps_keep_tenant_and_cluster_records_a_minute_per_tenant() -> None:
    inner, now = CountingRegistry(), [0.0]
    registry = RecentRegistry(inner, clock=lambda: now[0], ttl=60)  # type: ignore[arg-type]
    inner.fail = True
    with pytest.raises(TransientAwsError):
        registry.tenant("acme")
    inner.fail = False
    assert registry.tenant("acme") is ACME and registry.tenant("acme") is ACME  # the failure was not kept
    assert registry.tenant("globex") is GLOBEX  # another tenant: its own read, its own record
    assert registry.cluster("acme", "prod").endpoint == "https://acme.example"
    assert registry.cluster("globex", "prod").endpoint == "https://globex.example"
    registry.cluster("acme", "prod")
    assert inner.reads == [("tenant", "acme"), ("tenant", "acme"), ("tenant", "globex"), ("cluster", "acme", "prod"),
                           ("cluster", "globex", "prod")]  # fmt: skip
    now[0] = 60.0  # a minute later: read again (an edited registration reaches the steps)
    registry.tenant("acme")
    assert inner.reads[-1] == ("tenant", "acme") and len(inner.reads) == 6
