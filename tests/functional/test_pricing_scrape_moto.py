"""The scraping job on its real adapters: DescribeSpotPriceHistory and the Pricing API through botocore's Stubber
(pages with NextToken, the exact windows asked), S3 day files and the Prices table on moto. An interrupted run
resumes from its watermark and ends with the data an uninterrupted run stores; a gap left while the job was down is
found and filled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from cloudoptim.adapters.aws.advisor_source import ADVISOR_BUCKET, ADVISOR_KEY, S3AdvisorSource
from cloudoptim.adapters.aws.price_archive import S3PriceArchive, spot_key
from cloudoptim.adapters.aws.price_table import DynamoPriceTable, price_model
from cloudoptim.adapters.aws.pricing_api import FILTERS, PricingApiOnDemand
from cloudoptim.adapters.aws.spot_history import LINUX, Ec2SpotHistory
from cloudoptim.adapters.day_zero import SPOT_ADVISOR_FILE, shipped_data_dir
from cloudoptim.adapters.file_io import read_text
from cloudoptim.adapters.spot_prices import load_price_history
from cloudoptim.pricing.fill import fill_gaps
from cloudoptim.pricing.ports import ADVISOR, ON_DEMAND
from cloudoptim.pricing.scrape import PricingDeps, ScrapeSettings, scrape_all
from cloudoptim.pricing.stats import region_stats
from engines.pricing.coverage import DAY, HOUR, Interval, ScrapePolicy, plan_fill, plan_scrape
from tests.fakes.pricing import FixedRegions

REGION = "eu-west-1"
ZONES = {"eu-west-1a": "euw1-az3", "eu-west-1b": "euw1-az1", "eu-west-1c": "euw1-az2"}
NOW = int(datetime(2026, 6, 10, 10, tzinfo=UTC).timestamp())
POLICY = ScrapePolicy(chunk_seconds=6 * HOUR, max_catch_up_seconds=2 * DAY, initial_lookback_seconds=DAY)
BUCKET = "cloudoptim-prices"


def market_items(start: int, end: int) -> list[dict[str, Any]]:
    """What EC2 answers for a window: a change every 2 h per pool, plus the price in force at the start."""
    items = []
    for zone in ZONES:
        for instance_type, base in (("m5.large", 0.036), ("c5.xlarge", 0.061)):
            first = start - start % (2 * HOUR)
            for at in range(first, end, 2 * HOUR):
                price = base * (1 + ((at // (2 * HOUR)) % 5) / 100)
                stamp = datetime.fromtimestamp(at, UTC)
                item = {"AvailabilityZone": zone, "InstanceType": instance_type, "ProductDescription": "Linux/UNIX"}
                items.append({**item, "SpotPrice": f"{price:.6f}", "Timestamp": stamp})
    return items


class Ec2Script:
    """A stubbed EC2 client: the zones once, then each window in pages of `page` items, checking every request."""

    def __init__(self, page: int = 10) -> None:
        self.client = botocore.session.get_session().create_client(
            "ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.stubber = Stubber(self.client)
        self.page = page
        zones = [{"ZoneName": n, "ZoneId": i, "State": "available", "RegionName": REGION} for n, i in ZONES.items()]
        self.stubber.add_response("describe_availability_zones", {"AvailabilityZones": zones})

    def window(self, window: Interval, fail_on_page: int | None = None) -> int:
        items = market_items(window.start, window.end)
        pages = [items[i : i + self.page] for i in range(0, len(items), self.page)]
        for number, chunk in enumerate(pages, 1):
            expected: dict[str, Any] = {
                "StartTime": datetime.fromtimestamp(window.start, UTC),
                "EndTime": datetime.fromtimestamp(window.end, UTC),
                "ProductDescriptions": LINUX,
                "MaxResults": self.page,
            }
            if number > 1:
                expected["NextToken"] = f"page-{number}"
            if number == fail_on_page:
                self.stubber.add_client_error("describe_spot_price_history", "InternalError", "we failed",
                                              http_status_code=503, expected_params=expected)  # fmt: skip
                return number
            token = f"page-{number + 1}" if number < len(pages) else ""
            response = {"SpotPriceHistory": chunk, "NextToken": token}
            self.stubber.add_response("describe_spot_price_history", response, expected)
        return len(pages)


def pricing_script() -> Any:
    """GetProducts in two pages; the second request must carry the first page's NextToken."""
    client = botocore.session.get_session().create_client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)

    def product(instance_type: str, usd: str) -> str:
        term = {"priceDimensions": {"d": {"unit": "Hrs", "pricePerUnit": {"USD": usd}}}}
        return json.dumps(
            {"product": {"attributes": {"instanceType": instance_type}}, "terms": {"OnDemand": {"t": term}}}
        )

    filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in {**FILTERS, "regionCode": REGION}.items()]
    request = {"ServiceCode": "AmazonEC2", "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
    stubber.add_response("get_products", {"PriceList": [product("m5.large", "0.1070000000")], "NextToken": "more"},
                         request)  # fmt: skip
    two = [product("c5.xlarge", "0.1920000000"), product("c5.xlarge", "0.3000000000")]  # two SKUs: the plain one wins
    stubber.add_response("get_products", {"PriceList": two}, {**request, "NextToken": "more"})
    stubber.activate()
    return client


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        for table in ("Prices", "ReferencePrices"):
            boto3.client("dynamodb").create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
                BillingMode="PAY_PER_REQUEST",
            )
        s3 = boto3.client("s3")
        for bucket in (BUCKET, "reference-prices", ADVISOR_BUCKET):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        advisor = read_text(shipped_data_dir() / SPOT_ADVISOR_FILE).encode()
        s3.put_object(Bucket=ADVISOR_BUCKET, Key=ADVISOR_KEY, Body=advisor)
        yield


def deps(ec2: Ec2Script, bucket: str = BUCKET) -> PricingDeps:
    s3 = boto3.client("s3")
    return PricingDeps(
        spot=Ec2SpotHistory(lambda region: ec2.client, page_size=ec2.page),
        on_demand=PricingApiOnDemand(pricing_script()),
        advisor=S3AdvisorSource(s3),
        archive=S3PriceArchive(s3, bucket),
        table=DynamoPriceTable(price_model("Prices" if bucket == BUCKET else "ReferencePrices", region=REGION)),
        regions=FixedRegions({REGION}),
        clock=lambda: 0.0,
    )


SETTINGS = ScrapeSettings(policy=POLICY)


def with_ec2(wired: PricingDeps, ec2: Ec2Script) -> PricingDeps:
    """The same stores, a new scripted EC2 (and a fresh Pricing API script for the run's On-Demand refresh)."""
    spot = Ec2SpotHistory(lambda region: ec2.client, page_size=ec2.page)
    return replace(wired, spot=spot, on_demand=PricingApiOnDemand(pricing_script()))


def scripted_run(
    now: int, watermark: int | None, fail: tuple[int, int] | None = None, lookback: int = DAY
) -> Ec2Script:
    """Stub exactly the windows the plan asks for; `fail` = (window index, page) answers 503 there."""
    ec2 = Ec2Script()
    ec2.stubber.activate()
    policy = replace(POLICY, initial_lookback_seconds=lookback)
    for index, window in enumerate(plan_scrape(watermark, now, policy).windows):
        if fail is not None and index == fail[0]:
            ec2.window(window, fail_on_page=fail[1])
            break
        ec2.window(window)
    return ec2


def test_scrape_pages_through_every_window_and_stores_by_region_and_day(aws: None, tmp_path: Path) -> None:
    ec2 = scripted_run(NOW, None)
    wired = deps(ec2)
    report = scrape_all(wired, SETTINGS, NOW)
    ec2.stubber.assert_no_pending_responses()
    run = report.runs[0]
    assert (run.region, run.error, len(run.windows)) == (REGION, None, 5)  # 24 h in 6 h windows cut at midnight
    assert run.pages > len(run.windows)  # windows span several pages
    assert report.advisor_refreshed and report.advisor_error is None
    state = wired.table.state(REGION)
    assert state.watermark == NOW and state.covered == (Interval(NOW - DAY, NOW),)
    keys = sorted(o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"])
    assert spot_key(REGION, "2026-06-09") in keys and spot_key(REGION, "2026-06-10") in keys
    assert f"{ON_DEMAND}/{REGION}/2026-06-10.json.gz" in keys and f"{ADVISOR}/all/2026-06-10.json.gz" in keys
    day = tmp_path / "day.tsv.gz"
    day.write_bytes(boto3.client("s3").get_object(Bucket=BUCKET, Key=spot_key(REGION, "2026-06-10"))["Body"].read())
    history = load_price_history(day)[REGION]  # the archive reads back with the product's own loader
    assert {k.availability_zone for k in history.series} == set(ZONES.values())  # AZ IDs, not account names
    latest = wired.table.spot(REGION)
    assert len(latest) == 6 and max(p.at for p in latest.values()) == NOW - 2 * HOUR
    assert wired.table.list(ON_DEMAND, REGION).entries == {"m5.large": 0.107, "c5.xlarge": 0.192}  # type: ignore[union-attr]
    assert wired.table.list(ADVISOR, REGION).entries["m5.large"][0] in range(5)  # type: ignore[union-attr]


def test_an_interrupted_run_resumes_from_its_watermark(aws: None) -> None:
    first = scripted_run(NOW, None, fail=(3, 2))  # the fourth window (00:00-06:00) fails on its second page
    wired = deps(first)
    failed = scrape_all(wired, SETTINGS, NOW).runs[0]
    first.stubber.assert_no_pending_responses()
    windows = plan_scrape(None, NOW, POLICY).windows
    assert failed.error is not None and "InternalError" in failed.error
    state = wired.table.state(REGION)
    assert state.watermark == windows[2].end and state.last_error == failed.error
    assert state.covered == (Interval(windows[0].start, windows[2].end),)
    later = NOW + HOUR
    resumed = scripted_run(later, state.watermark)  # its stubs check the first request starts at the watermark
    run = scrape_all(with_ec2(wired, resumed), SETTINGS, later).runs[0]
    resumed.stubber.assert_no_pending_responses()
    assert run.error is None and run.windows[0].start == windows[2].end
    assert wired.table.state(REGION).covered == (Interval(NOW - DAY, later),)
    # One uninterrupted run over the same span stores the same day files, byte for byte.
    reference = scripted_run(later, None, lookback=DAY + HOUR)
    clean = deps(reference, bucket="reference-prices")
    scrape_all(replace(clean, regions=FixedRegions({REGION})), replace(SETTINGS, policy=replace(
        POLICY, initial_lookback_seconds=DAY + HOUR)), later)  # fmt: skip
    reference.stubber.assert_no_pending_responses()
    s3 = boto3.client("s3")
    for day in ("2026-06-09", "2026-06-10"):
        mine = s3.get_object(Bucket=BUCKET, Key=spot_key(REGION, day))["Body"].read()
        theirs = s3.get_object(Bucket="reference-prices", Key=spot_key(REGION, day))["Body"].read()
        assert mine == theirs
    assert wired.table.spot(REGION) == clean.table.spot(REGION)


def test_a_gap_left_while_the_job_was_down_is_found_and_filled(aws: None) -> None:
    first = scripted_run(NOW, None)
    wired = deps(first)
    scrape_all(wired, SETTINGS, NOW)
    later = NOW + 3 * DAY  # down for three days: the run fetches the newest two and leaves one as a gap
    second = scripted_run(later, NOW)
    run = scrape_all(with_ec2(wired, second), SETTINGS, later).runs[0]
    assert run.skipped == Interval(NOW, NOW + DAY)
    [stats] = region_stats(wired.table, [REGION], later, days=4)
    assert stats.gaps == (Interval(NOW, NOW + DAY),) and stats.coverage == 0.75
    filler = Ec2Script()
    filler.stubber.activate()
    plan = plan_fill(stats.gaps, later, POLICY)
    assert plan.windows[0].end == NOW + DAY  # newest first
    for window in plan.windows:
        filler.window(window)
    fills = fill_gaps(with_ec2(wired, filler), SETTINGS, later, analysis_days=4)
    filler.stubber.assert_no_pending_responses()
    assert [(f.region, len(f.gaps), len(f.filled), f.error) for f in fills] == [(REGION, 1, 5, None)]  # cut at midnight
    [after] = region_stats(wired.table, [REGION], later, days=4)
    assert after.gaps == () and after.coverage == 1.0
    assert wired.table.state(REGION).watermark == later  # filling never moves the watermark
