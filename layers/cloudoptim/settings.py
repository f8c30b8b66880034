"""Settings of the Lambdas, parsed once from the environment in each composition root.

One model per function, holding only what that function reads, so a missing variable fails at parse with
its name (names from docs/platform-contract.md; `endpoint_url` is set only in local mode):

>>> try:
...     IngestSettings.from_env({"REGISTRY_TABLE": "r", "HIVE_MIND_TABLE": "h"})
... except ValueError as exc:
...     print(exc.errors()[0]["loc"])
('STATE_MACHINE_ARN',)
>>> KubeTaskSettings.from_env({"REGISTRY_TABLE": "r"}).registry_table
'r'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field


class AwsSettings(BaseModel):
    """What every function shares: the region and, in local mode, the emulator's endpoint."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    endpoint_url: str | None = Field(None, alias="AWS_ENDPOINT_URL")
    region: str | None = Field(None, alias="AWS_REGION")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Self:
        values = dict(environ)
        values.setdefault("AWS_REGION", environ.get("AWS_DEFAULT_REGION", ""))
        if not values["AWS_REGION"]:
            del values["AWS_REGION"]
        return cls.model_validate(values)


class RegistrySettings(AwsSettings):
    registry_table: str = Field(alias="REGISTRY_TABLE")


class HiveMindSettings(AwsSettings):
    hive_mind_table: str = Field(alias="HIVE_MIND_TABLE")


class AuditSettings(AwsSettings):
    audit_table: str = Field(alias="AUDIT_TABLE")


class IdempotencySettings(AwsSettings):
    idempotency_table: str = Field("Idempotency", alias="IDEMPOTENCY_TABLE")
    # Longer than ingest's timeout, shorter than the queue's visibility timeout (cdk/constructs/interruptions.py).
    claim_in_progress_seconds: int = Field(20, gt=0, alias="CLAIM_IN_PROGRESS_SECONDS")


class IngestSettings(RegistrySettings, HiveMindSettings, IdempotencySettings):
    state_machine_arn: str = Field(alias="STATE_MACHINE_ARN")
    queue_url: str | None = Field(None, alias="QUEUE_URL")
    hive_mind_ttl_seconds: int = Field(1800, gt=0, alias="HIVE_MIND_TTL_SECONDS")
    idempotency_ttl_seconds: int = Field(86400, gt=0, alias="IDEMPOTENCY_TTL_SECONDS")
    dry_run: bool = Field(False, alias="DRY_RUN")
    wait_seconds: int = Field(5, ge=0, alias="WAIT_SECONDS")
    # The bus the "CloudOptim Pool Escalated" hand-over goes to (docs/events.md); unset: nothing proactive follows.
    escalation_bus_name: str | None = Field(None, alias="ESCALATION_BUS_NAME")


class RebalanceSettings(RegistrySettings, HiveMindSettings, IdempotencySettings):
    """rebalance_pool: the pool index and policies (Registry), the records (HiveMind), the instances' guards, and
    the DrainAndReplace state machine its replace-then-drain executions run in."""

    state_machine_arn: str = Field(alias="STATE_MACHINE_ARN")
    wait_seconds: int = Field(5, ge=0, alias="WAIT_SECONDS")


class PricesSettings(AwsSettings):
    """The Prices table the engines read (latest prices scraped hourly); unset: the shipped data only."""

    prices_table: str | None = Field(None, alias="PRICES_TABLE")


class ModelSettings(RegistrySettings):
    """The model registry: its document and shadow entries in the Registry table, artifacts in this bucket."""

    model_bucket: str | None = Field(None, alias="MODEL_BUCKET")  # None: no registry, choices use the heuristic


class ChooseSettings(ModelSettings, HiveMindSettings, PricesSettings):
    """choose_replacement: the registry (node groups, the active model), the hive mind's live flags and the freshest
    prices."""


class ValidateSettings(AwsSettings):
    """validate_model: reads the candidate's artifact, nothing else."""

    model_bucket: str = Field(alias="MODEL_BUCKET")
    latency_budget_ms: float = Field(250.0, gt=0, alias="LATENCY_BUDGET_MS")


class RetrainSettings(ModelSettings):
    """retrain_model: the registry (document and artifacts) and the archive of every scraped Spot price."""

    price_archive_bucket: str = Field(alias="PRICE_ARCHIVE_BUCKET")
    window_days: int = Field(90, ge=21, le=365, alias="RETRAIN_WINDOW_DAYS")
    grid_hours: float = Field(6.0, gt=0, le=24, alias="RETRAIN_GRID_HOURS")


class LaunchSettings(RegistrySettings):
    """launch_replacement: the registry (tenant, node group; the new INSTANCE# item) and the tenant's role."""


class TerminateSettings(RegistrySettings):
    """terminate_replacement: the registry (tenant) and the tenant's role."""


class KubeTaskSettings(RegistrySettings):
    """node_status, cordon_node, evict_pods: the registry (tenant, cluster) and the cluster's API."""


class RecordSettings(AuditSettings, IdempotencySettings):
    """record_outcome: the audit log, and the guard claims its failure paths give back."""


class ApiSettings(RegistrySettings, AuditSettings, PricesSettings):
    """The API function: its stores, the identity provider it trusts, where customers' roles trust and the key that
    signs audit checkpoints."""

    issuer: str = Field(alias="API_ISSUER")  # https://cognito-idp.<region>.amazonaws.com/<user pool id>
    audience: str = Field(alias="API_AUDIENCE")  # the app client id
    jwks_url: str | None = Field(None, alias="API_JWKS_URL")  # default: <issuer>/.well-known/jwks.json
    user_pool_id: str | None = Field(None, alias="USER_POOL_ID")
    saas_account_id: str = Field(alias="SAAS_ACCOUNT_ID")
    audit_key_id: str = Field(alias="AUDIT_KEY_ID")
    # The sweep's and the executions' state machines: a deployment without them answers 503 on their routes.
    sweep_state_machine_arn: str | None = Field(None, alias="SWEEP_STATE_MACHINE_ARN")
    execution_state_machine_arn: str | None = Field(None, alias="EXECUTION_STATE_MACHINE_ARN")
    console_auth_domain: str | None = Field(None, alias="CONSOLE_AUTH_DOMAIN")  # Cognito hosted UI, for the dashboard
    # The model registry's admin routes: unset MODEL_BUCKET, and they answer 503 (nothing deployed to manage).
    model_bucket: str | None = Field(None, alias="MODEL_BUCKET")
    validate_model_arn: str | None = Field(None, alias="VALIDATE_MODEL_STATE_MACHINE_ARN")
    hive_mind_table: str | None = Field(
        None, alias="HIVE_MIND_TABLE"
    )  # GET /v1/hive-mind and shadow outcomes; unset: 503
    notify_allow_loopback: bool = Field(False, alias="NOTIFY_ALLOW_LOOPBACK")  # local mode: a 127.0.0.1 webhook

    @property
    def keys_url(self) -> str:
        return self.jwks_url or f"{self.issuer.rstrip('/')}/.well-known/jwks.json"


class CheckpointSettings(RegistrySettings, AuditSettings):
    """audit_checkpoint: every tenant's newest entry signed hourly."""

    audit_key_id: str = Field(alias="AUDIT_KEY_ID")


class HibernationTickSettings(RegistrySettings, AuditSettings):
    """hibernation_tick: schedules, states and policies (Registry), the state machine it starts."""

    state_machine_arn: str = Field(alias="HIBERNATE_STATE_MACHINE_ARN")
    wait_seconds: int = Field(30, ge=0, alias="HIBERNATE_WAIT_SECONDS")


class HibernationStepSettings(RegistrySettings, AuditSettings):
    """hibernation_step: snapshots and states (Registry), the audit log, the tenants' roles and clusters."""


class ExecuteStepSettings(RegistrySettings, AuditSettings):
    """execute_step: recommendations and executions (Registry), the audit log, the tenants' roles and clusters, and
    the sweep state machine a stale plan asks to run again."""

    sweep_state_machine_arn: str = Field(alias="SWEEP_STATE_MACHINE_ARN")
    execution_state_machine_arn: str = Field("", alias="EXECUTION_STATE_MACHINE_ARN")  # executions start no other
    wait_seconds: int = Field(30, ge=0, alias="EXECUTE_WAIT_SECONDS")


class ScrapeSettings(RegistrySettings, PricesSettings):
    """scrape_prices and fill_price_gaps: the Prices table and archive, the tenants' regions (Registry)."""

    price_archive_bucket: str = Field(alias="PRICE_ARCHIVE_BUCKET")
    pricing_region: str = Field("us-east-1", alias="PRICING_API_REGION")
    pricing_endpoint_url: str | None = Field(None, alias="PRICING_ENDPOINT_URL")  # local mode's stand-in
    advisor_bucket: str = Field("spot-bid-advisor", alias="SPOT_ADVISOR_BUCKET")
    default_regions: str = Field("", alias="DEFAULT_PRICE_REGIONS")  # comma-separated

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(r.strip() for r in self.default_regions.split(",") if r.strip())


class WasteSettings(RegistrySettings, AuditSettings, PricesSettings):
    """waste_scan: accounts and clusters (Registry), the tenants' roles, prices, the audit log."""


class DiscoverySettings(RegistrySettings):
    """discover_clusters: clusters (Registry), the tenants' roles, the clusters' API, and the pools' observed
    instance-hours (HiveMind; unset: not counted)."""

    hive_mind_table: str | None = Field(None, alias="HIVE_MIND_TABLE")


class SweepStepSettings(RegistrySettings, AuditSettings, HiveMindSettings):
    """sweep_step: documents (Registry), the audit log, the hive mind's flags, snapshots (S3), the tenants' roles and
    clusters, and the state machines it starts (sweeps on schedule, executions of automatic recommendations)."""

    snapshot_bucket: str = Field(alias="SNAPSHOT_BUCKET")
    sweep_state_machine_arn: str | None = Field(None, alias="SWEEP_STATE_MACHINE_ARN")
    execution_state_machine_arn: str | None = Field(None, alias="EXECUTION_STATE_MACHINE_ARN")


class WeeklySummarySettings(RegistrySettings, AuditSettings, IdempotencySettings):
    """weekly_summary: tenants and their documents (Registry), the audit log, the week's claims (Idempotency), the
    verified SES sender."""

    sender: str = Field(alias="NOTIFY_SENDER")


class NotifyEventSettings(RegistrySettings, AuditSettings, IdempotencySettings):
    """notify_event: notification settings (Registry), webhook URLs (Secrets Manager), alert claims (Idempotency);
    `allow_loopback` only in local mode, where the receiver listens on 127.0.0.1."""

    allow_loopback: bool = Field(False, alias="NOTIFY_ALLOW_LOOPBACK")
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=10, alias="NOTIFY_WEBHOOK_TIMEOUT_SECONDS")
