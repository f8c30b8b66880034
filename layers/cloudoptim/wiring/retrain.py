"""retrain_model's composition: the registry, the price archive, the shipped prices and the golden set."""

from __future__ import annotations

from cloudoptim.adapters.aws.price_archive import S3PriceArchive
from cloudoptim.adapters.day_zero import load_day_zero, shipped_data_dir
from cloudoptim.models.registry import RegistryDeps
from cloudoptim.models.retrain import RetrainInputs
from cloudoptim.models.validation import GOLDEN_FILE, golden_rows
from cloudoptim.settings import RetrainSettings
from cloudoptim.wiring import stores


def retrain_deps(settings: RetrainSettings, region: str) -> tuple[RegistryDeps, RetrainInputs]:
    data = load_day_zero()
    deps = RegistryDeps(artifacts=stores.model_artifacts(settings), store=stores.model_registry(settings))
    inputs = RetrainInputs(
        shipped=data.price_history(region),
        on_demand=data.on_demand,
        advisor=data.advisor,
        archive=S3PriceArchive(stores.client(settings, "s3"), settings.price_archive_bucket),
        golden=golden_rows(shipped_data_dir() / GOLDEN_FILE),
    )
    return deps, inputs
