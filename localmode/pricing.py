"""Local mode serves the shipped price data through the same adapters the scraping job uses in AWS.

- EC2 DescribeSpotPriceHistory (moto answers a fixed placeholder) is patched to answer from the shipped Spot prices:
  the changes in [StartTime, EndTime) plus the price in force at StartTime, paged with NextToken, zones named as
  this account names them (the scraper maps them back to AZ IDs with DescribeAvailabilityZones).
- The Pricing API (no moto twin) is a small HTTP stand-in answering GetProducts from the shipped On-Demand list, in
  the Price List's product/terms JSON, paged with NextToken; the functions reach it through PRICING_ENDPOINT_URL.
- The Spot Advisor document is put where AWS publishes it (bucket spot-bid-advisor) in moto's S3.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto.ec2.responses.spot_instances import SpotInstances

from cloudoptim.adapters.aws.advisor_source import ADVISOR_BUCKET, ADVISOR_KEY
from cloudoptim.adapters.day_zero import SPOT_ADVISOR_FILE, DayZeroData, load_day_zero, shipped_data_dir
from cloudoptim.adapters.file_io import read_text
from localmode.aws import LocalAws, free_port

PAGE = 1000


@functools.cache
def shipped() -> DayZeroData:
    return load_day_zero()


def _epoch(value: Any) -> int | None:
    """A request time as moto hands it over (a datetime, or ISO text)."""
    if not value:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def spot_answer(region: str, names: dict[str, str], start: int, end: int, types: set[str]) -> list[dict[str, str]]:
    """What EC2 answers for a window from the shipped prices; `names` maps AZ IDs to this account's zone names."""
    history = shipped().price_history(region)
    if history is None:
        return []
    items = []
    for key, series in history.series.items():
        if types and key.instance_type not in types:
            continue
        times, prices = series.times.tolist(), series.prices.tolist()
        chosen = [i for i, t in enumerate(times) if start <= t < end]
        before = [i for i, t in enumerate(times) if t < start]
        for i in ([before[-1]] if before else []) + chosen:
            items.append({
                "AvailabilityZone": names.get(key.availability_zone, key.availability_zone),
                "InstanceType": key.instance_type, "ProductDescription": "Linux/UNIX",
                "SpotPrice": f"{prices[i]:.6f}",
                "Timestamp": datetime.fromtimestamp(times[i], UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            })  # fmt: skip
    return sorted(items, key=lambda i: (i["Timestamp"], i["AvailabilityZone"], i["InstanceType"]))


def install_spot_history() -> Callable[[], None]:
    original = SpotInstances.describe_spot_price_history

    def describe_spot_price_history(self: Any) -> Any:
        from moto.core.responses import ActionResult

        region = self.region
        zones = self.ec2_backend.describe_availability_zones()
        names = {z.zone_id: z.name for z in zones}
        end = _epoch(self._get_param("EndTime")) or int(datetime.now(UTC).timestamp())
        start = _epoch(self._get_param("StartTime")) or end
        types = set(self._get_param("InstanceTypes", []) or [])
        items = spot_answer(region, names, start, end, types)
        offset = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxResults") or PAGE)
        page = items[offset : offset + size]
        token = str(offset + size) if offset + size < len(items) else ""
        return ActionResult({"SpotPriceHistory": page, "NextToken": token})

    SpotInstances.describe_spot_price_history = describe_spot_price_history  # type: ignore[method-assign]

    def restore() -> None:
        SpotInstances.describe_spot_price_history = original  # type: ignore[method-assign]

    return restore


def products(region: str) -> list[str]:
    """The shipped On-Demand list of `region` as Price List products (JSON strings, as GetProducts answers)."""
    found = []
    for (where, instance_type), price in sorted(shipped().on_demand.prices.items()):
        if where != region:
            continue
        term = {"priceDimensions": {"d": {"unit": "Hrs", "pricePerUnit": {"USD": f"{price:.10f}"}}}}
        attributes = {"instanceType": instance_type, "regionCode": region, "operatingSystem": "Linux"}
        found.append(json.dumps({"product": {"attributes": attributes}, "terms": {"OnDemand": {"t": term}}}))
    return found


class _PricingHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        target = self.headers.get("X-Amz-Target", "")
        if not target.endswith(".GetProducts"):
            self._send(400, {"__type": "InvalidParameterException", "message": f"{target} is not served locally"})
            return
        filters = {f.get("Field"): f.get("Value") for f in body.get("Filters") or []}
        items = products(str(filters.get("regionCode", "")))
        offset, size = int(body.get("NextToken") or 0), int(body.get("MaxResults") or 100)
        answer: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": items[offset : offset + size]}
        if offset + size < len(items):
            answer["NextToken"] = str(offset + size)
        self._send(200, answer)

    def _send(self, code: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class PricingStandIn:
    """The Pricing API on localhost: `url = PricingStandIn().start()`, later `.stop()`."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), _PricingHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> str:
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def publish_advisor(aws: LocalAws) -> None:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=ADVISOR_BUCKET, CreateBucketConfiguration={"LocationConstraint": aws.region})
    body = read_text(shipped_data_dir() / SPOT_ADVISOR_FILE).encode()
    s3.put_object(Bucket=ADVISOR_BUCKET, Key=ADVISOR_KEY, Body=body, ACL="public-read")  # as AWS publishes it
