"""The scheduled jobs in local mode, invoked as their schedules would: the scraper reads the shipped prices through
the same adapters as in AWS (EC2 DescribeSpotPriceHistory paged, the Pricing API stand-in, the Spot Advisor object in
S3), stores them by region and day and in the Prices table; the API reports coverage; the replacement choice reads
them and says how old they are."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from localmode.api import LocalApiServer, local_app, token
from localmode.aws import free_port
from localmode.stack import LocalStack


def invoke(stack: LocalStack, function: str, event: dict[str, Any] | None = None) -> Any:
    assert stack.deployed is not None
    name = stack.deployed.functions[function]
    answer = stack.aws.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    return json.loads(answer["Payload"].read())


@pytest.fixture(scope="module")
def scraped(local_stack: LocalStack) -> dict[str, Any]:
    report: dict[str, Any] = invoke(local_stack, "scrape_prices")
    return report


def test_the_scraper_reads_the_shipped_prices_through_the_aws_adapters(local_stack: LocalStack, scraped: Any) -> None:
    runs = {r["region"]: r for r in scraped["regions"]}
    assert set(runs) >= {"eu-west-1", "us-east-1"} and all(r["error"] is None for r in runs.values()), scraped
    assert scraped["advisor_refreshed"] is True, scraped["advisor_error"]
    ireland = runs["eu-west-1"]
    assert ireland["pages"] > ireland["windows"] and ireland["points"] > 1000  # paged: 1,000 items a page
    assert ireland["on_demand_types"] == 1050  # the shipped eu-west-1 list, through GetProducts pages
    s3 = local_stack.aws.client("s3")
    bucket = local_stack.deployed.function_env["scrape_prices"]["PRICE_ARCHIVE_BUCKET"]  # type: ignore[union-attr]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="spot/eu-west-1/")["Contents"]]
    assert "spot/eu-west-1/2022-07-11.tsv.gz" in keys  # by the day of the prices (the price in force at the start)


def test_the_api_reports_coverage_and_the_choice_says_how_old_its_prices_are(
    local_stack: LocalStack, scraped: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import os

    os.environ["CLOUDOPTIM_HOME"] = str(tmp_path_factory.mktemp("home"))
    assert local_stack.deployed is not None
    port = free_port()
    server = LocalApiServer(
        local_app(
            local_stack.deployed.tables,
            local_stack.aws.endpoint_url,
            "eu-west-1",
            port,
            local_stack.deployed.function_env.get("api"),
        ),
        port,
    )
    url = server.start()
    try:
        bearer = {"Authorization": f"Bearer {token('e2e-prices', 'viewer')}"}
        request = urllib.request.Request(f"{url}/v1/prices/stats?region=eu-west-1&days=1", headers=bearer)
        body = json.loads(urllib.request.urlopen(request, timeout=30).read())
    finally:
        server.stop()
    [ireland] = body["regions"]
    # collected up to the scrape a few seconds ago: no gap, coverage short of 1 by those seconds
    assert ireland["coverage"] > 0.99 and ireland["gaps"] == [] and ireland["pools"] > 1000
    assert ireland["newest_spot_price"].startswith("2022-07-11")  # the shipped data is old, and says so
    node = next(iter(local_stack.live.snapshot().values()))
    state = {"event_id": "age-check", "kind": "rebalance", "event_time": "2026-01-01T00:00:00Z",
             "deadline": "2026-01-01T00:10:00Z", "tenant_id": "local", "cluster": "local", "node_name": node.name,
             "instance_id": next(iter(local_stack.live.snapshot())), "region": "us-east-1",
             "availability_zone": node.zone, "az_id": None, "instance_type": node.instance_type,
             "capacity_type": node.capacity_type, "node_group": node.node_group, "dry_run": True,
             "wait_seconds": 1}  # fmt: skip
    replacement = invoke(local_stack, "choose_replacement", state)
    # us-east-1: a warm choose_replacement (earlier e2e tests) caches eu-west-1's market for 5 minutes, not this one
    reasons = replacement["reasons"]
    assert any("Spot prices as of 2022-05-31" in r and "scraped, stale" in r for r in reasons), replacement
