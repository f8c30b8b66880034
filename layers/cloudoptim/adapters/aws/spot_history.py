"""`SpotHistorySource` on EC2 DescribeSpotPriceHistory, paginated (NextToken, 1,000 items a page), Linux only,
zones turned into AZ IDs with DescribeAvailabilityZones in the same account (names differ per account, IDs do not).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.pricing.ports import SpotFetch, SpotPoint

LINUX = ["Linux/UNIX", "Linux/UNIX (Amazon VPC)"]
PAGE_SIZE = 1000


class Ec2SpotHistory:
    """`client_for(region)` gives an EC2 client in that region (the SaaS account's own credentials)."""

    def __init__(self, client_for: Callable[[str], Any], page_size: int = PAGE_SIZE) -> None:
        self._client_for = client_for
        self._page_size = page_size
        self._zone_ids: dict[str, dict[str, str]] = {}

    def zone_ids(self, region: str) -> dict[str, str]:
        if region not in self._zone_ids:
            try:
                zones = self._client_for(region).describe_availability_zones(AllAvailabilityZones=False)
            except (ClientError, BotoCoreError) as exc:
                raise translate(exc, f"DescribeAvailabilityZones {region}") from exc
            self._zone_ids[region] = {z["ZoneName"]: z["ZoneId"] for z in zones.get("AvailabilityZones", [])}
        return self._zone_ids[region]

    def history(self, region: str, start: int, end: int) -> SpotFetch:
        ec2 = self._client_for(region)
        ids = self.zone_ids(region)
        points: list[SpotPoint] = []
        pages = 0
        token: str | None = None
        request: dict[str, Any] = {
            "StartTime": datetime.fromtimestamp(start, UTC),
            "EndTime": datetime.fromtimestamp(end, UTC),
            "ProductDescriptions": LINUX,
            "MaxResults": self._page_size,
        }
        while True:
            try:
                page = ec2.describe_spot_price_history(**request, **({"NextToken": token} if token else {}))
            except (ClientError, BotoCoreError) as exc:
                raise translate(exc, f"DescribeSpotPriceHistory {region} page {pages + 1}") from exc
            pages += 1
            for item in page.get("SpotPriceHistory", []):
                zone = str(item["AvailabilityZone"])
                stamp = item["Timestamp"]
                at = int(stamp.timestamp()) if isinstance(stamp, datetime) else int(datetime.fromisoformat(
                    str(stamp).replace("Z", "+00:00")).timestamp())  # fmt: skip
                points.append(SpotPoint(ids.get(zone, zone), str(item["InstanceType"]), float(item["SpotPrice"]), at))
            token = page.get("NextToken") or None  # EC2 ends with an empty token, not a missing one
            if token is None:
                return SpotFetch(tuple(points), pages)
