"""The app's settings, parsed once from CDK context (cdk.json, `-c key=value` or a dict in tests)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

REPO_ROOT = Path(__file__).resolve().parent.parent
DRAIN_AND_REPLACE_ASL = REPO_ROOT / "statemachines" / "drain_and_replace.asl.json"
HIBERNATE_ASL = REPO_ROOT / "statemachines" / "hibernate.asl.json"
SWEEP_ASL = REPO_ROOT / "statemachines" / "sweep.asl.json"
EXECUTE_ASL = REPO_ROOT / "statemachines" / "execute.asl.json"


class AppSettings(BaseModel):
    """What varies between a real deploy, a test synth and local mode.

    >>> AppSettings.from_context({"bundle": "false"}).bundle
    False
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    bundle: bool = True
    """True: pip-install the deps layer into build/ (network). False: offline, deps layer is a stand-in."""
    build_dir: Path = REPO_ROOT / "build"
    bytecode_python: str = "python3.12"
    """The interpreter that precompiles the bundle (Lambda's version); skipped with a warning when absent."""
    drain_and_replace_asl: Path = DRAIN_AND_REPLACE_ASL
    customer_accounts: tuple[str, ...] = ()
    """Accounts allowed to PutEvents on the bus at deploy time (onboarding can add more later)."""
    local_endpoint_url: str | None = None
    """Local mode only: becomes AWS_ENDPOINT_URL of every function."""
    dry_run: bool = False
    wait_seconds: int = Field(default=5, ge=0)
    hive_mind_ttl_seconds: int = Field(default=1800, gt=0)
    log_retention_days: Literal[7, 14, 30, 90, 365] = 30
    stack_name: str = "CloudOptimSaas"
    hibernate_asl: Path = HIBERNATE_ASL
    sweep_asl: Path = SWEEP_ASL
    hibernate_wait_seconds: int = Field(default=30, ge=0)
    """The Hibernate state machine's waits for nodes and StatefulSets (1 in local mode)."""
    execute_asl: Path = EXECUTE_ASL
    execute_wait_seconds: int = Field(default=30, ge=0)
    """The Execute state machine's waits for replacements and eviction rounds (1 in local mode)."""
    sweep_state_machine_name: str = "CloudOptimSweep"
    """The optimize sweep's state machine (its construct names it so): a stale plan starts it again."""
    scrape_every_minutes: int = Field(default=60, ge=5, le=1440)
    price_regions: tuple[str, ...] = ("eu-west-1", "us-east-1")
    """Regions scraped even before a tenant uses them (Day Zero); tenants' regions are added at run time."""
    local_pricing_endpoint_url: str | None = None
    """Local mode only: the Pricing API stand-in (moto has none)."""
    notification_sender: str = Field(default="notifications@cloudoptim.example", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    """The weekly summary's From: an address of an SES-verified domain identity (ses:SendEmail is granted on it)."""

    @field_validator("customer_accounts", "price_regions", mode="before")
    @classmethod
    def _accounts_from_text(cls, value: Any) -> Any:
        # `-c customer_accounts=111111111111,222222222222` arrives as one string.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return tuple(json.loads(text))
            return tuple(part.strip() for part in text.split(",") if part.strip())
        return value

    @field_validator("customer_accounts")
    @classmethod
    def _twelve_digits(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for account in value:
            if len(account) != 12 or not account.isdigit():
                raise ValueError(f"customer account {account!r} is not a 12-digit AWS account id")
        return value

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> AppSettings:
        known = {key: context[key] for key in cls.model_fields if key in context}
        return cls.model_validate(known)
