"""choose_replacement's composition: the registry, the hive mind, the freshest prices (the scraped table over the
shipped data) and the registry's active model (LightGBM, imported here so a cold start pays for it, not a notice)."""

from __future__ import annotations

from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.recent_registry import RecentRegistry
from cloudoptim.interruptions.choose import ChooseDeps, NoModels, RiskModels
from cloudoptim.models.scoring import RegistryModels
from cloudoptim.settings import ChooseSettings
from cloudoptim.wiring import stores
from cloudoptim.wiring.market import market


def choose_deps(settings: ChooseSettings) -> ChooseDeps:
    data = load_day_zero()
    models: RiskModels = NoModels()
    if settings.model_bucket:
        models = RegistryModels(
            store=stores.model_registry(settings),
            artifacts=stores.model_artifacts(settings),
            data=data,
            shadow_log=stores.shadow_log(settings),
        )
    return ChooseDeps(
        registry=RecentRegistry(stores.registry(settings)),  # node groups and tenant: a minute per warm container
        hive=stores.choice_hive_mind(settings),
        market=market(settings, data),
        models=models,
    )
