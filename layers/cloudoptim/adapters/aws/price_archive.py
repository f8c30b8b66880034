"""`PriceArchive` on S3: Spot price changes in one gzip file per region and day (`spot/<region>/<YYYY-MM-DD>.tsv.gz`,
DescribeSpotPriceHistory's text format with AZ IDs, which `cloudoptim.adapters.spot_prices` reads), and the On-Demand
lists and Spot Advisor documents as collected (`<kind>/<region>/<YYYY-MM-DD>.json.gz`).

A day file is merged read-modify-write with S3 conditional writes (If-Match on the ETag read, If-None-Match for a
new file), so the scrape and the fill job writing the same day never lose each other's points.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.errors import TransientAwsError
from cloudoptim.pricing.ports import SpotPoint

MAX_RACES = 8
PRODUCT = "Linux/UNIX"


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def spot_key(region: str, day: str) -> str:
    return f"spot/{region}/{day}.tsv.gz"


def encode(points: Sequence[SpotPoint]) -> bytes:
    """Sorted text lines, gzip without a timestamp: the same points always give the same bytes."""
    lines = [
        f"SPOTINSTANCEPRICE\t{p.price:.6f}\t{datetime.fromtimestamp(p.at, UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}\t"
        f"{p.instance_type}\t{PRODUCT}\t{p.zone}"
        for p in sorted(points, key=lambda p: (p.at, p.zone, p.instance_type))
    ]
    return gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)


def decode(body: bytes) -> list[SpotPoint]:
    found = []
    for line in gzip.decompress(body).decode().splitlines():
        parts = line.split("\t")
        if len(parts) == 6 and parts[0] == "SPOTINSTANCEPRICE":
            at = int(datetime.fromisoformat(parts[2].replace("Z", "+00:00")).timestamp())
            found.append(SpotPoint(parts[5], parts[3], float(parts[1]), at))
    return found


class S3PriceArchive:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def add_spot(self, region: str, points: Sequence[SpotPoint]) -> int:
        by_day: dict[str, list[SpotPoint]] = {}
        for point in points:
            by_day.setdefault(_day(point.at), []).append(point)
        written = 0
        for day, new in sorted(by_day.items()):
            written += self._merge(spot_key(region, day), new)
        return written

    def _merge(self, key: str, new: Sequence[SpotPoint]) -> int:
        for _ in range(MAX_RACES):
            body, etag = self._read(key)
            old = decode(body) if body is not None else []
            merged = {(p.zone, p.instance_type, p.at): p for p in [*old, *new]}
            if body is not None and len(merged) == len(old):
                return 0  # nothing new for this day (a re-fetched window)
            condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
            try:
                self._s3.put_object(Bucket=self._bucket, Key=key, Body=encode(list(merged.values())), **condition)
                return 1
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code not in ("PreconditionFailed", "ConditionalRequestConflict"):
                    raise translate(exc, f"S3 put {key}") from exc
            except BotoCoreError as exc:
                raise translate(exc, f"S3 put {key}") from exc
        raise TransientAwsError(f"S3 put {key}: {MAX_RACES} concurrent writers in a row")

    def _read(self, key: str) -> tuple[bytes | None, str | None]:
        try:
            answer = self._s3.get_object(Bucket=self._bucket, Key=key)
            return answer["Body"].read(), str(answer["ETag"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None, None
            raise translate(exc, f"S3 get {key}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"S3 get {key}") from exc

    def spot(self, region: str, start: int, end: int) -> list[SpotPoint]:
        found: list[SpotPoint] = []
        for day in _days(start, end):
            body, _ = self._read(spot_key(region, day))
            if body is not None:
                found.extend(p for p in decode(body) if start <= p.at < end)
        return sorted(found, key=lambda p: (p.at, p.zone, p.instance_type))

    def put_document(self, kind: str, region: str, day: str, body: bytes) -> str:
        key = f"{kind}/{region}/{day}.json.gz"
        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=gzip.compress(body, mtime=0))
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"S3 put {key}") from exc
        return key


def _days(start: int, end: int) -> Iterator[str]:
    day = datetime.fromtimestamp(start, UTC).date()
    last = datetime.fromtimestamp(max(end - 1, start), UTC).date()
    while day <= last:
        yield day.isoformat()
        day += timedelta(days=1)
