"""The loaders on the real public data in ../shared/data (skipped when it is absent)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from cloudoptim.adapters.pricing_files import load_catalog, load_on_demand, load_price_history, load_spot_advisor
from engines.spot.model import PoolKey

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
EU_WEST_1 = SHARED / "spot-price-history" / "eu-west-1"
NINETY_DAYS = EU_WEST_1 / "eu-west-1_90d_2021-12-13_to_2022-03-13.tsv.xz"

pytestmark = pytest.mark.evaluation


def shared(relative: str | Path) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"../shared/data not found: {path}")
    return path


@pytest.mark.parametrize(
    ("name", "regions", "linux_entries"),
    [
        ("spot-advisor-data_2021-02-10_spotinfo.json", 21, 4255),
        ("spot-advisor-data_2024-02-28_bamboo.json", 29, 11948),
        ("spot-advisor-data_2025-06-28_spotinfo.json", 33, 14962),
    ],
)
def test_every_advisor_snapshot_loads(name: str, regions: int, linux_entries: int) -> None:
    advisor = load_spot_advisor(shared(Path("spot-advisor") / name))
    assert len(advisor.regions()) == regions and len(advisor.entries) == linux_entries
    assert advisor.snapshot == name.split("_")[1]
    assert advisor.get("ap-south-1", "m5.large") is not None


def test_ninety_day_eu_west_1_dump_loads_fast() -> None:
    path = shared(NINETY_DAYS)
    started = time.perf_counter()
    histories = load_price_history(path)
    elapsed = time.perf_counter() - started
    history = histories["eu-west-1"]
    assert list(histories) == ["eu-west-1"]
    assert len(history.pools()) == 1378  # Linux pools of 478 types over 3 AZs (not every type in every AZ)
    assert history.zones() == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert sum(len(s) for s in history.series.values()) <= 239_100  # Linux rows, less duplicates
    m5 = history.series[PoolKey("m5.large", "eu-west-1a")]
    assert 0.02 < m5.prices.min() <= m5.prices.max() < 0.107  # below On-Demand
    first, last = history.first_time(), history.last_time()
    assert first is not None and last is not None and 89 <= (last - first) / 86400 <= 91
    assert elapsed < 10, f"90-day dump took {elapsed:.1f} s (target about 1-2 s)"


def test_daily_pulls_tar_loads() -> None:
    history = load_price_history(shared(EU_WEST_1 / "eu-west-1_2021-08_daily_pulls.tar"))["eu-west-1"]
    assert len(history.pools()) > 1000
    first = history.first_time()
    assert first is not None and first < 1_628_000_000  # carries still-valid prices from before August


def test_july_2022_and_ninety_days_merge() -> None:
    paths = [shared(NINETY_DAYS), shared(EU_WEST_1 / "eu-west-1_2022-07-09_to_2022-07-11.tsv.xz")]
    history = load_price_history(paths, region="eu-west-1")["eu-west-1"]
    last = history.last_time()
    assert last is not None and last >= 1_657_500_000  # reaches 2022-07-11


@pytest.mark.skipif(shutil.which("zstd") is None, reason="zstd command not installed")
def test_all_regions_zst_loads_with_az_ids() -> None:
    all_regions = "spot-price-history/all-regions/prices_2022-05_partial_2022-05-31T18-24h.tsv.zst"
    histories = load_price_history(shared(all_regions))
    assert len(histories) == 17
    mumbai = histories["ap-south-1"]
    assert all(zone.startswith("aps1-az") for zone in mumbai.zones())
    assert mumbai.az_ids == {zone: zone for zone in mumbai.zones()}


def test_reference_csvs_load() -> None:
    prices = load_on_demand(sorted(shared("ec2-ondemand-prices").glob("ondemand_linux_*.csv")))
    assert prices.regions() == {"eu-west-1", "ap-south-1"} and len(prices.prices) == 1050 + 693
    assert prices.get("ap-south-1", "m5.large") == 0.101
    # The catalogue is shipped in a derived format only (scripts/build_day_zero_data.py); check it covers
    # every type priced in the shared price lists.
    shipped = Path(__file__).resolve().parents[2] / "layers" / "cloudoptim" / "data" / "instance-catalog.csv"
    assert {name for _, name in prices.prices} <= set(load_catalog(shipped).types)
