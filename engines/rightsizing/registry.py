"""Strategies registered by name, so the CLI, the API and the benchmark select them the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engines.registry import Registry
from engines.rightsizing.cloudoptim import CloudOptim, CloudOptimSettings
from engines.rightsizing.krr import KrrSimple, KrrSimpleSettings
from engines.rightsizing.strategy import Strategy
from engines.rightsizing.vpa import VpaTarget, VpaTargetSettings

RIGHTSIZING_STRATEGIES = Registry[Strategy](
    "rightsizing strategy",
    {
        "cloudoptim": lambda settings: CloudOptim(CloudOptimSettings.model_validate(dict(settings))),
        "krr-simple": lambda settings: KrrSimple(KrrSimpleSettings.model_validate(dict(settings))),
        "vpa-target": lambda settings: VpaTarget(VpaTargetSettings.model_validate(dict(settings))),
    },
)


def strategy_names() -> list[str]:
    return RIGHTSIZING_STRATEGIES.names()


def get_strategy(name: str = "cloudoptim", settings: Mapping[str, Any] | None = None) -> Strategy:
    """Build a registered strategy; unknown names raise KeyError naming the known ones."""
    return RIGHTSIZING_STRATEGIES.build(name, settings)
