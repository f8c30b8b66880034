"""Strategies registered by name, so the CLI, the API and the benchmark select them the same way."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engines.rightsizing.cloudoptim import CloudOptim, CloudOptimSettings
from engines.rightsizing.krr import KrrSimple, KrrSimpleSettings
from engines.rightsizing.strategy import Strategy
from engines.rightsizing.vpa import VpaTarget, VpaTargetSettings

Factory = Callable[[Mapping[str, Any]], Strategy]

_REGISTRY: dict[str, Factory] = {
    "cloudoptim": lambda settings: CloudOptim(CloudOptimSettings.model_validate(dict(settings))),
    "krr-simple": lambda settings: KrrSimple(KrrSimpleSettings.model_validate(dict(settings))),
    "vpa-target": lambda settings: VpaTarget(VpaTargetSettings.model_validate(dict(settings))),
}


def register_strategy(name: str, factory: Factory) -> None:
    _REGISTRY[name] = factory


def strategy_names() -> list[str]:
    return sorted(_REGISTRY)


def get_strategy(name: str = "cloudoptim", settings: Mapping[str, Any] | None = None) -> Strategy:
    """Build a registered strategy; unknown names raise KeyError naming the known ones."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown rightsizing strategy {name!r}; known: {', '.join(strategy_names())}") from None
    return factory(settings or {})
