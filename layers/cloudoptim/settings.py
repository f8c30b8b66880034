"""Settings of the interruption pipeline's Lambdas, parsed once from the environment in each composition root.

>>> PipelineSettings.from_env({"REGISTRY_TABLE": "r", "HIVE_MIND_TABLE": "h", "AUDIT_TABLE": "a"}).wait_seconds
5
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field


class PipelineSettings(BaseModel):
    """Names from docs/platform-contract.md; `endpoint_url` is set only in local mode."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    registry_table: str = Field(alias="REGISTRY_TABLE")
    hive_mind_table: str = Field(alias="HIVE_MIND_TABLE")
    audit_table: str = Field(alias="AUDIT_TABLE")
    idempotency_table: str = Field("Idempotency", alias="IDEMPOTENCY_TABLE")
    state_machine_arn: str | None = Field(None, alias="STATE_MACHINE_ARN")
    hive_mind_ttl_seconds: int = Field(1800, gt=0, alias="HIVE_MIND_TTL_SECONDS")
    idempotency_ttl_seconds: int = Field(86400, gt=0, alias="IDEMPOTENCY_TTL_SECONDS")
    dry_run: bool = Field(False, alias="DRY_RUN")
    wait_seconds: int = Field(5, ge=0, alias="WAIT_SECONDS")
    endpoint_url: str | None = Field(None, alias="AWS_ENDPOINT_URL")
    region: str | None = Field(None, alias="AWS_REGION")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PipelineSettings:
        values = dict(environ)
        values.setdefault("AWS_REGION", environ.get("AWS_DEFAULT_REGION", ""))
        if not values["AWS_REGION"]:
            del values["AWS_REGION"]
        return cls.model_validate(values)
