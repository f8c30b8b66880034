"""File adapters: each input format parses to the right values, and bad input gives one clear InputFileError."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import shutil
import subprocess
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloudoptim.adapters.day_zero import load_day_zero, shipped_data_dir
from cloudoptim.adapters.pricing_files import load_catalog, load_on_demand, load_price_history, load_spot_advisor
from cloudoptim.adapters.regions import AZ_ID_PREFIXES, is_az_id, region_of_zone
from cloudoptim.errors import CloudOptimError, InputFileError, UnknownRegionError
from engines.spot.model import PoolKey

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DESCRIBE = FIXTURES / "spot_describe_eu-west-1.tsv"
VPC_2021 = FIXTURES / "spot_describe_2021-08_vpc.tsv"
AZ_ID = FIXTURES / "spot_az_id_all-regions.tsv"
BOTO3 = FIXTURES / "spot_history_boto3.json"
ADVISOR = FIXTURES / "spot-advisor-mini_2025-06-28.json"


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).astimezone(UTC).timestamp())


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# --- Spot price history -----------------------------------------------------------------------------------


def test_describe_tsv_keeps_linux_rows_only_and_dedupes() -> None:
    history = load_price_history(DESCRIBE)["eu-west-1"]
    assert history.pools() == [PoolKey("m5.large", z) for z in ("eu-west-1a", "eu-west-1b", "eu-west-1c")]
    series = history.series[PoolKey("m5.large", "eu-west-1c")]
    assert series.times.tolist() == [epoch("2022-07-11T10:06:58+00:00"), epoch("2022-07-11T15:16:28+00:00")]
    assert series.prices.tolist() == [0.0382, 0.0381]
    assert history.series[PoolKey("m5.large", "eu-west-1b")].prices.tolist() == [0.037]  # not RHEL/SUSE
    assert history.az_ids == {}


def test_amazon_vpc_products_and_offsets_without_colon() -> None:
    history = load_price_history(VPC_2021)["eu-west-1"]
    assert {k.instance_type for k in history.pools()} == {"m5.large", "r3.xlarge"}
    series = history.series[PoolKey("m5.large", "eu-west-1c")]
    assert series.times.tolist() == [epoch("2021-08-03T04:09:25+00:00")]  # -0700 converted to UTC
    assert series.prices.tolist() == [0.0364]


def test_az_id_tsv_maps_zones_to_regions() -> None:
    histories = load_price_history(AZ_ID)
    assert sorted(histories) == ["ap-south-1", "us-east-1"]
    mumbai = histories["ap-south-1"]
    assert mumbai.series[PoolKey("m5.large", "aps1-az1")].prices.tolist() == [0.0314]
    assert mumbai.az_ids == {"aps1-az1": "aps1-az1"}
    assert histories["us-east-1"].zones() == ["use1-az2", "use1-az4"]


def test_boto3_json_shape_and_bare_list(tmp_path: Path) -> None:
    history = load_price_history(BOTO3)["eu-west-1"]
    assert len(history.pools()) == 3
    assert history.series[PoolKey("m5.large", "eu-west-1a")].times.tolist() == [epoch("2022-07-11T07:44:29Z")]
    bare = BOTO3.read_text().split("[", 1)[1].rsplit("]", 1)[0]
    listed = load_price_history(write(tmp_path, "bare.json", f"[{bare}]"))["eu-west-1"]
    assert listed.pools() == history.pools()


@pytest.mark.parametrize("compress", [gzip.compress, lzma.compress, bz2.compress], ids=["gz", "xz", "bz2"])
def test_compressed_variants_detected_by_content(tmp_path: Path, compress: object) -> None:
    assert callable(compress)
    path = write(tmp_path, "prices.dat", compress(DESCRIBE.read_bytes()))  # misleading extension on purpose
    assert load_price_history(path)["eu-west-1"].pools() == load_price_history(DESCRIBE)["eu-west-1"].pools()


@pytest.mark.skipif(shutil.which("zstd") is None, reason="zstd command not installed")
def test_zstd_through_the_command(tmp_path: Path) -> None:
    packed = subprocess.run(["zstd", "-c"], input=AZ_ID.read_bytes(), capture_output=True, check=True).stdout
    assert sorted(load_price_history(write(tmp_path, "p.tsv.zst", packed))) == ["ap-south-1", "us-east-1"]


def test_tar_of_daily_pulls(tmp_path: Path) -> None:
    archive = tmp_path / "daily.tar"
    with tarfile.open(archive, "w") as tar:
        for name, data in (("d/day1.xz", lzma.compress(VPC_2021.read_bytes())), ("d/day2", DESCRIBE.read_bytes())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    history = load_price_history(archive)["eu-west-1"]
    assert len(history.series[PoolKey("m5.large", "eu-west-1c")]) == 3  # 1 from 2021 + 2 from 2022


def test_several_files_and_region_filter() -> None:
    histories = load_price_history([DESCRIBE, AZ_ID], region="ap-south-1")
    assert list(histories) == ["ap-south-1"]
    with pytest.raises(UnknownRegionError, match=r"eu-central-1 \(regions found: ap-south-1, eu-west-1, us-east-1"):
        load_price_history([DESCRIBE, AZ_ID], region="eu-central-1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "SPOTINSTANCEPRICE\tabc\t2022-07-11T17:22:53+00:00\tm5.large\tLinux/UNIX\teu-west-1b\n",
            "bad.tsv: line 1: price 'abc' is not a number",
        ),
        (
            "SPOTINSTANCEPRICE\t0.03\t2022-07-11T17:22:53+00:00\tm5.large\tSUSE Linux\teu-west-1b\n"
            "SPOTINSTANCEPRICE\t0.03\tyesterday\tm5.large\tLinux/UNIX\teu-west-1b\n",
            "bad.tsv: line 2: timestamp 'yesterday' is not an ISO-8601 time",
        ),
        (
            "SPOTINSTANCEPRICE\t-1\t2022-07-11T17:22:53+00:00\tm5.large\tLinux/UNIX\teu-west-1b\n",
            "bad.tsv: line 1: price '-1' is not a positive number",
        ),
        (
            "SPOTINSTANCEPRICE\t0.03\t2022-07-11T17:22:53+00:00\tm5.large\tLinux/UNIX\tmoon-1\n",
            "bad.tsv: line 1: 'moon-1' is not an availability zone",
        ),
        ("aps1-az1\tm5.large\tLinux/UNIX\t0.0314\n", "bad.tsv: not a spot price file"),
        ("instance,price\nm5.large,0.03\n", "bad.tsv: not a spot price file"),
        ('{"Prices": []}', "bad.tsv: expected a 'SpotPriceHistory' list"),
        ('{"SpotPriceHistory": [{"InstanceType": "m5.large"}]}', "bad.tsv: SpotPriceHistory item 1: missing"),
        ("{not json", "bad.tsv: not valid JSON"),
    ],
)
def test_bad_price_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputFileError) as caught:
        load_price_history(write(tmp_path, "bad.tsv", text))
    assert str(caught.value).replace(str(tmp_path) + "/", "").startswith(message)
    assert "\n" not in str(caught.value)


def test_corrupt_compressed_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="corrupt or truncated"):
        load_price_history(write(tmp_path, "cut.xz", lzma.compress(DESCRIBE.read_bytes())[:40]))


@pytest.mark.parametrize(
    "loader",
    [load_price_history, load_spot_advisor, load_catalog, load_on_demand],
    ids=["history", "advisor", "catalog", "on_demand"],
)
def test_missing_file(tmp_path: Path, loader: object) -> None:
    assert callable(loader)
    with pytest.raises(InputFileError, match=r"^.*nope\.csv: no such file$"):
        loader(tmp_path / "nope.csv")


# --- Spot Advisor, catalogue, On-Demand ----------------------------------------------------------------------


def test_spot_advisor_linux_only_and_snapshot_from_name(tmp_path: Path) -> None:
    advisor = load_spot_advisor(ADVISOR)
    assert advisor.snapshot == "2025-06-28"
    assert len(advisor.entries) == 5 and advisor.regions() == {"eu-west-1", "ap-south-1"}
    entry = advisor.get("ap-south-1", "m5.large")
    assert entry is not None and (entry.bucket, entry.savings_pct, entry.label) == (2, 68, "10-15%")
    gz = load_spot_advisor(write(tmp_path, "advisor.json.gz", gzip.compress(ADVISOR.read_bytes())))
    assert gz.entries == advisor.entries and gz.snapshot == "unknown"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"instance_types": {}}', "no 'spot_advisor' object"),
        (
            '{"spot_advisor": {"eu-west-1": {"Linux": {"m5.large": {"r": 7, "s": 50}}}}}',
            "spot_advisor[eu-west-1][Linux][m5.large]: interruption bucket r=7 is outside 0..4",
        ),
        ('{"spot_advisor": {"eu-west-1": {"Linux": {"m5.large": {"s": 50}}}}}', "expected an object with keys"),
        ("[1, 2", "not valid JSON"),
    ],
)
def test_bad_spot_advisor(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputFileError, match=r"adv\.json: .*" + message.replace("[", r"\[").replace("]", r"\]")):
        load_spot_advisor(write(tmp_path, "adv.json", text))


def test_catalog() -> None:
    catalog = load_catalog(FIXTURES / "instance-catalog-mini.csv")
    assert len(catalog) == 6
    c1 = catalog.get("c1.medium")
    assert c1 is not None and c1.memory_gib == 1.69921875 and c1.generation == 1
    g5, t3, cr1 = catalog.get("g5.xlarge"), catalog.get("t3.medium"), catalog.get("cr1.8xlarge")
    assert g5 is not None and (g5.gpus, g5.max_pods, g5.arch) == (1, 58, "x86_64")
    assert t3 is not None and t3.burstable and t3.current_generation
    assert cr1 is not None and cr1.max_pods is None and not cr1.current_generation


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("m5.large,two,8,x86_64,0,29,true,false,false", "line 2: vcpus 'two' is not a number"),
        ("m5.large,2,8,sparc,0,29,true,false,false", "line 2: arch 'sparc' is not x86_64 or arm64"),
        ("m5.large,2,8,x86_64,0,29,maybe,false,false", "line 2: current_generation 'maybe' is not true or false"),
    ],
)
def test_bad_catalog(tmp_path: Path, row: str, message: str) -> None:
    header = (FIXTURES / "instance-catalog-mini.csv").read_text().splitlines()[0]
    with pytest.raises(InputFileError, match=r"cat\.csv: " + message):
        load_catalog(write(tmp_path, "cat.csv", f"{header}\n{row}\n"))
    with pytest.raises(InputFileError, match=r"cat\.csv: missing column\(s\) arch"):
        load_catalog(write(tmp_path, "cat.csv", "instance_type,vcpus,memory_gib\nm5.large,2,8\n"))


def test_on_demand_both_formats_later_file_wins() -> None:
    shipped = FIXTURES / "on-demand-linux-mini.csv"
    raw = FIXTURES / "ondemand_linux_ap-south-1-mini.csv"
    prices = load_on_demand([shipped, raw])
    assert prices.get("eu-west-1", "m6g.large") == 0.086
    assert prices.get("us-east-1", "m5.large") == 0.096
    assert prices.get("ap-south-1", "t3.medium") == 0.0448
    assert prices.sources["us-east-1"] == "karpenter-provider-aws generated pricing 2026-07-20"
    assert prices.sources["ap-south-1"] == (
        "AWS Price List Bulk API via ec2-cheaper-finder 2026-09-04; ondemand_linux_ap-south-1-mini.csv"
    )


def test_bad_on_demand_price(tmp_path: Path) -> None:
    path = write(
        tmp_path, "prices.csv", "region,instance_type,usd_per_hour\neu-west-1,m5.large,0.1\neu-west-1,c5.large,abc\n"
    )
    with pytest.raises(InputFileError, match=r"prices\.csv: line 3: usd_per_hour 'abc' is not a number$"):
        load_on_demand(path)
    with pytest.raises(InputFileError, match="no 'usd_per_hour' or 'ondemand_linux_usd_per_hour' column"):
        load_on_demand(write(tmp_path, "p2.csv", "region,instance_type,price\neu-west-1,m5.large,0.1\n"))


# --- Regions and the shipped data ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "region"),
    [
        ("eu-west-1a", "eu-west-1"),
        ("us-gov-west-1b", "us-gov-west-1"),
        ("aps1-az2", "ap-south-1"),
        ("apse4-az1", "ap-southeast-4"),
        ("use1-bos1-az1", "us-east-1"),
        ("us-east-1-bos-1a", "us-east-1"),
    ],
)
def test_region_of_zone(zone: str, region: str) -> None:
    assert region_of_zone(zone) == region
    assert is_az_id(zone) == ("-az" in zone)


@pytest.mark.parametrize("zone", ["eu-west-1", "xyz9-az1", "m5.large", ""])
def test_region_of_zone_rejects(zone: str) -> None:
    with pytest.raises(CloudOptimError):
        region_of_zone(zone)


def test_az_id_prefixes_follow_the_aws_naming_rule() -> None:
    short = {
        "east": "e",
        "west": "w",
        "north": "n",
        "south": "s",
        "central": "c",
        "northeast": "ne",
        "southeast": "se",
        "northwest": "nw",
        "gov": "g",
    }
    for prefix, region in AZ_ID_PREFIXES.items():
        *words, number = region.split("-")
        assert prefix == words[0] + "".join(short[w] for w in words[1:]) + number


def test_shipped_day_zero_data_loads() -> None:
    data = load_day_zero()
    assert shipped_data_dir().joinpath("PROVENANCE.md").is_file()
    assert len(data.catalog) > 1000 and data.advisor.snapshot == "2025-06-28"
    assert data.on_demand.regions() == {"eu-west-1", "ap-south-1", "us-east-1"}
    assert {"eu-west-1", "ap-south-1", "us-east-1"} <= set(data.spot_prices)
    assert all(region_of_zone(z) == "ap-south-1" for z in data.spot_prices["ap-south-1"].zones())
    assert data.advisor.regions() <= set(AZ_ID_PREFIXES.values())  # every advisor region has an AZ ID prefix
    priced = {name for region, name in data.on_demand.prices if region in ("eu-west-1", "ap-south-1")}
    assert priced <= set(data.catalog.types)  # the build adds every priced type to the catalogue
