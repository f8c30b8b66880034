"""Loader for EC2 Spot price history files, whatever shape they come in.

Formats, detected from the content (after decompression by magic bytes):
  (a) DescribeSpotPriceHistory text: SPOTINSTANCEPRICE, price, timestamp, type, product, zone (AWS CLI
      `--output text`; the Calvin Ardi / mpette200 dumps);
  (b) the all-regions TSV: az_id, type, os, price, timestamp (ericpauley/aws-spot-price-history);
  (c) JSON: {"SpotPriceHistory": [...]} from boto3 or `aws ... --output json`, or a bare list of those items;
  (d) a tar archive whose members are any of the above (e.g. a month of daily pulls).
Only Linux rows are kept ("Linux/UNIX", and "Linux/UNIX (Amazon VPC)" from EC2-Classic days).

Speed matters (a 90-day region dump is 800k rows, 70 MB of text): the hot loop rejects non-Linux lines with a
substring test before splitting, and parses each distinct timestamp text once.
"""

from __future__ import annotations

import io
import json
import math
import tarfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from cloudoptim.adapters.file_io import Paths, as_path_list, decode_text, decompress, is_tar, read_bytes
from cloudoptim.adapters.regions import is_az_id, region_of_zone
from cloudoptim.errors import CloudOptimError, InputFileError, UnknownRegionError
from engines.spot.model import PoolKey, PriceHistory, PriceSeries

LINUX_PRODUCTS = frozenset({"Linux/UNIX", "Linux/UNIX (Amazon VPC)"})
_LINUX_MARK = "Linux/UNIX"  # substring of both product names, absent from RHEL/SUSE/Windows ones
_DESCRIBE_TAG = "SPOTINSTANCEPRICE\t"
_JSON_KEYS = ("AvailabilityZone", "InstanceType", "ProductDescription", "SpotPrice", "Timestamp")


class _RowError(ValueError):
    """A bad row; the caller adds the file name and line."""


class _Collector:
    """Accumulates Linux price points per region and pool, de-duplicating (pool, timestamp)."""

    def __init__(self, region: str | None) -> None:
        self.region = region
        # Plain tuple keys: hashing a dataclass PoolKey per row costs about a fifth of the load time.
        self.points: dict[str, dict[tuple[str, str], dict[int, float]]] = {}
        self._zone_region: dict[str, str] = {}
        self._epoch: dict[str, int] = {}
        self.linux_rows = 0  # every Linux row read, whatever its region

    def regions_seen(self) -> list[str]:
        return sorted(set(self._zone_region.values()))

    def add(self, zone: str, instance_type: str, price_text: str, timestamp: str) -> None:
        self.linux_rows += 1
        region = self._zone_region.get(zone)
        if region is None:
            region = self._zone_region[zone] = _region(zone)
        if self.region is not None and region != self.region:
            return
        epoch = self._epoch.get(timestamp)
        if epoch is None:
            epoch = self._epoch[timestamp] = _epoch_seconds(timestamp)
        try:
            price = float(price_text)
        except ValueError:
            raise _RowError(f"price '{price_text}' is not a number") from None
        if not (price > 0 and math.isfinite(price)):
            raise _RowError(f"price '{price_text}' is not a positive number")
        pools = self.points.get(region)
        if pools is None:
            pools = self.points[region] = {}
        key = (instance_type, zone)
        series = pools.get(key)
        if series is None:
            series = pools[key] = {}
        series[epoch] = price  # a repeated (pool, timestamp) keeps the last row read

    def histories(self) -> dict[str, PriceHistory]:
        result: dict[str, PriceHistory] = {}
        for region in sorted(self.points):
            pools = self.points[region]
            series = {PoolKey(*key): PriceSeries.from_points(points.items()) for key, points in pools.items()}
            # Zones given as AZ IDs are their own AZ ID; AZ names cannot be mapped without the account.
            az_ids = {zone: zone for _, zone in pools if is_az_id(zone)}
            result[region] = PriceHistory(region, series, az_ids)
        return result


def _region(zone: str) -> str:
    try:
        return region_of_zone(zone)
    except CloudOptimError as exc:
        raise _RowError(str(exc)) from None


def _epoch_seconds(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _RowError(f"timestamp '{text}' is not an ISO-8601 time") from None
    if moment.tzinfo is None:  # AWS always answers in UTC; a bare time is taken as UTC
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def load_price_history(paths: Paths, region: str | None = None) -> dict[str, PriceHistory]:
    """Linux Spot price history from one or more files, keyed by region.

    With `region`, rows of other regions are skipped while reading and the result holds that region only;
    when no row matches, UnknownRegionError names the regions the files do cover. Without `region`, every
    region found is returned ({} when the files hold no Linux rows).
    """
    files = as_path_list(paths)
    collector = _Collector(region)
    for file in files:
        before = collector.linux_rows
        raw = read_bytes(file)
        _parse_blob(raw, str(file), collector)
        if collector.linux_rows == before:
            raise InputFileError(f"{file}: {_no_linux_rows(raw, str(file))}")
    histories = collector.histories()
    if region is not None and region not in histories:
        names = ", ".join(f.name for f in files) or "no files"
        found = ", ".join(collector.regions_seen()) or "none"
        raise UnknownRegionError(f"{names}: no Linux spot prices for region {region} (regions found: {found})")
    return histories


def _no_linux_rows(raw: bytes, name: str) -> str:
    """Why a file gave no Linux price: empty, or which products it holds instead (read again: errors only)."""
    data = decompress(raw, name)
    if is_tar(data):
        return "no Linux/UNIX spot prices in any member of the archive"
    text = decode_text(data, name)
    if not text.strip():
        return "the file is empty: no spot prices"
    products: dict[str, int] = {}
    for line in text.split("\n"):
        fields = line.rstrip("\r").split("\t")
        product = fields[4] if len(fields) == 6 else fields[2] if len(fields) == 5 else None
        if product:
            products[product] = products.get(product, 0) + 1
    if not products and '"ProductDescription"' in text:
        for item in json.loads(text).get("SpotPriceHistory", []) if text.lstrip().startswith("{") else []:
            product = str(item.get("ProductDescription"))
            products[product] = products.get(product, 0) + 1
    found = ", ".join(f"{p} ({n} rows)" for p, n in sorted(products.items())) or "no price rows"
    return f"no Linux/UNIX spot prices (found: {found}); CloudOptim prices Linux nodes"


def _parse_blob(raw: bytes, name: str, sink: _Collector) -> None:
    data = decompress(raw, name)
    if is_tar(data):
        _parse_tar(data, name, sink)
        return
    text = decode_text(data, name)
    if text.lstrip()[:1] in ("{", "["):
        _parse_json(text, name, sink)
    else:
        _parse_tsv(text, name, sink)


def _parse_tar(data: bytes, name: str, sink: _Collector) -> None:
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive:
                if not member.isfile() or PurePosixPath(member.name).name.startswith("."):
                    continue  # directories, and macOS "._" resource forks
                extracted = archive.extractfile(member)
                if extracted is not None:
                    _parse_blob(extracted.read(), f"{name}:{member.name}", sink)
    except tarfile.TarError as exc:
        raise InputFileError(f"{name}: corrupt tar archive ({exc})") from None


def _parse_tsv(text: str, name: str, sink: _Collector) -> None:
    lines = text.split("\n")  # not splitlines(): twice as slow; a CR is stripped from the last field
    first = next((line for line in lines if line.strip()), "")
    if first.startswith(_DESCRIBE_TAG):
        _parse_describe_rows(lines, name, sink)
    elif first.count("\t") == 4:
        _parse_az_id_rows(lines, name, sink)
    elif first:
        raise InputFileError(
            f"{name}: not a spot price file (expected SPOTINSTANCEPRICE rows, az_id/type/os/price/timestamp "
            "TSV rows, or DescribeSpotPriceHistory JSON)"
        )


def _parse_describe_rows(lines: list[str], name: str, sink: _Collector) -> None:
    lineno = 0
    try:
        for lineno, line in enumerate(lines, 1):  # noqa: B007 - lineno is read by the except clause
            if _LINUX_MARK not in line:
                if line and not line.startswith(_DESCRIBE_TAG) and line.strip():
                    raise _RowError("not a SPOTINSTANCEPRICE row")
                continue
            fields = line.split("\t")
            if len(fields) != 6 or fields[0] != "SPOTINSTANCEPRICE":
                raise _RowError(f"expected 6 tab-separated fields starting SPOTINSTANCEPRICE, got {len(fields)}")
            if fields[4] in LINUX_PRODUCTS:
                sink.add(fields[5].strip(), fields[3], fields[1], fields[2])
    except _RowError as exc:
        raise InputFileError(f"{name}: line {lineno}: {exc}") from None


def _parse_az_id_rows(lines: list[str], name: str, sink: _Collector) -> None:
    lineno = 0
    try:
        for lineno, line in enumerate(lines, 1):  # noqa: B007 - lineno is read by the except clause
            if _LINUX_MARK not in line:
                if line.strip() and line.count("\t") != 4:
                    raise _RowError("expected 5 tab-separated fields: az_id, type, os, price, timestamp")
                continue
            fields = line.split("\t")
            if len(fields) != 5:
                raise _RowError(f"expected 5 tab-separated fields, got {len(fields)}")
            if fields[2] in LINUX_PRODUCTS:
                sink.add(fields[0], fields[1], fields[3], fields[4].strip())
    except _RowError as exc:
        raise InputFileError(f"{name}: line {lineno}: {exc}") from None


def _parse_json(text: str, name: str, sink: _Collector) -> None:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{name}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    items = document.get("SpotPriceHistory") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise InputFileError(f"{name}: expected a 'SpotPriceHistory' list (DescribeSpotPriceHistory output)")
    _parse_json_items(items, name, sink)


def _parse_json_items(items: Iterable[Any], name: str, sink: _Collector) -> None:
    index = 0
    try:
        for index, item in enumerate(items, 1):  # noqa: B007 - index is read by the except clause
            if not isinstance(item, dict):
                raise _RowError("not an object")
            missing = [key for key in _JSON_KEYS if key not in item]
            if missing:
                raise _RowError(f"missing {', '.join(repr(k) for k in missing)}")
            if item["ProductDescription"] in LINUX_PRODUCTS:
                sink.add(
                    str(item["AvailabilityZone"]),
                    str(item["InstanceType"]),
                    str(item["SpotPrice"]),
                    str(item["Timestamp"]),
                )
    except _RowError as exc:
        raise InputFileError(f"{name}: SpotPriceHistory item {index}: {exc}") from None
