"""Loaders for reference data: the Spot Advisor JSON, the instance catalogue CSV and On-Demand price CSVs."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from cloudoptim.adapters.file_io import PathLike, Paths, as_path_list, read_text
from cloudoptim.adapters.regions import is_region
from cloudoptim.errors import InputFileError
from engines.spot.model import AdvisorEntry, Catalog, InstanceType, OnDemandPrices, SpotAdvisor

_T = TypeVar("_T")
_P = ParamSpec("_P")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ARCHES = frozenset({"x86_64", "arm64"})
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
CATALOG_COLUMNS = (
    "instance_type",
    "vcpus",
    "memory_gib",
    "arch",
    "gpus",
    "max_pods",
    "current_generation",
    "burstable",
    "bare_metal",
    "gpu_vendor",
    "efa_interfaces",
    "neuron_devices",
    "neuron_cores",
    "branch_interfaces",
)
_GPU_VENDORS = frozenset({"", "nvidia", "amd", "habana"})
ON_DEMAND_COLUMNS = ("region", "instance_type", "usd_per_hour", "source", "as_of")


class _FieldError(ValueError):
    """A bad value; the caller adds the file name and line."""


# --- Spot Advisor -------------------------------------------------------------------------------------


def load_spot_advisor(path: PathLike) -> SpotAdvisor:
    """Linux entries of a Spot Advisor JSON (spot-advisor-data.json, plain or gzip).

    The snapshot is the first YYYY-MM-DD in the file name, else "unknown": the JSON itself carries no date.
    """
    file = Path(path)
    try:
        document = json.loads(read_text(file))
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{file}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    advisor = document.get("spot_advisor") if isinstance(document, dict) else None
    if not isinstance(advisor, dict):
        raise InputFileError(f"{file}: no 'spot_advisor' object; is this a Spot Advisor JSON?")
    entries: dict[tuple[str, str], AdvisorEntry] = {}
    for region, by_os in advisor.items():
        linux = by_os.get("Linux", {}) if isinstance(by_os, dict) else None
        if not isinstance(linux, dict):
            raise InputFileError(f"{file}: spot_advisor[{region}] is not an object of operating systems")
        for instance_type, raw in linux.items():
            try:
                entries[(region, instance_type)] = _advisor_entry(raw)
            except _FieldError as exc:
                raise InputFileError(f"{file}: spot_advisor[{region}][Linux][{instance_type}]: {exc}") from None
    match = _DATE_RE.search(file.name)
    return SpotAdvisor(entries, snapshot=match.group(0) if match else "unknown")


def _advisor_entry(raw: Any) -> AdvisorEntry:
    if not isinstance(raw, dict) or "r" not in raw or "s" not in raw:
        raise _FieldError("expected an object with keys 'r' and 's'")
    bucket, savings = raw["r"], raw["s"]
    if not _is_int(bucket) or not 0 <= bucket <= 4:
        raise _FieldError(f"interruption bucket r={bucket!r} is outside 0..4")
    # Savings can be negative: the 2025-06-28 snapshot has ca-central-1 p5.48xlarge at -62 (Spot dearer).
    if not _is_int(savings) or savings > 100:
        raise _FieldError(f"savings s={savings!r} is not a whole percentage up to 100")
    return AdvisorEntry(bucket=bucket, savings_pct=savings)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- Instance catalogue ---------------------------------------------------------------------------------


def load_catalog(path: PathLike) -> Catalog:
    """The instance catalogue CSV (columns CATALOG_COLUMNS; only the first four are required)."""
    file = Path(path)
    types: dict[str, InstanceType] = {}
    for where, row in _csv_rows(file, required=CATALOG_COLUMNS[:4]):
        item = _field(where, _instance_type, row)
        if item.name in types:
            raise InputFileError(f"{where}: instance type '{item.name}' is listed twice")
        types[item.name] = item
    return Catalog(types)


def _instance_type(row: Mapping[str, str]) -> InstanceType:
    name = _text(row, "instance_type")
    arch = _text(row, "arch")
    if arch not in _ARCHES:
        raise _FieldError(f"arch '{arch}' is not x86_64 or arm64")
    max_pods = (row.get("max_pods") or "").strip()
    vcpus, memory_gib = _number(row, "vcpus", int), _number(row, "memory_gib", float)
    if vcpus <= 0 or not (memory_gib > 0 and math.isfinite(memory_gib)):
        raise _FieldError(f"vcpus '{row['vcpus']}' and memory_gib '{row['memory_gib']}' must be positive")
    return InstanceType(
        name=name,
        vcpus=vcpus,
        memory_gib=memory_gib,
        arch=arch,
        gpus=_number(row, "gpus", int) if (row.get("gpus") or "").strip() else 0,
        max_pods=_number(row, "max_pods", int) if max_pods else None,
        current_generation=_flag(row, "current_generation", default=True),
        burstable=_flag(row, "burstable", default=False),
        bare_metal=_flag(row, "bare_metal", default=False),
        gpu_vendor=_gpu_vendor(row),
        efa_interfaces=_known_count(row, "efa_interfaces"),
        neuron_devices=_known_count(row, "neuron_devices"),
        neuron_cores=_known_count(row, "neuron_cores"),
        branch_interfaces=_known_count(row, "branch_interfaces"),
    )


def _gpu_vendor(row: Mapping[str, str]) -> str:
    vendor = (row.get("gpu_vendor") or "").strip().lower()
    if vendor not in _GPU_VENDORS:
        raise _FieldError(f"gpu_vendor '{vendor}' is not one of nvidia, amd, habana (or empty)")
    return vendor


def _known_count(row: Mapping[str, str], column: str) -> int | None:
    """A device count; an empty cell means the catalogue does not know (never read as 0)."""
    if not (row.get(column) or "").strip():
        return None
    value = _number(row, column, int)
    if value < 0:
        raise _FieldError(f"{column} '{value}' is negative")
    return value


# --- On-Demand prices -----------------------------------------------------------------------------------


def load_on_demand(paths: Paths) -> OnDemandPrices:
    """On-Demand Linux prices from one or more CSVs; later files override earlier ones for the same key.

    Accepts the shipped format (region,instance_type,usd_per_hour,source,as_of) and the
    ondemand_linux_<region>.csv format (price column ondemand_linux_usd_per_hour, no source: the file name
    stands in). `sources` maps each region to "source as_of".
    """
    prices: dict[tuple[str, str], float] = {}
    sources: dict[str, list[str]] = {}
    for file in as_path_list(paths):
        for where, row in _csv_rows(file, required=("region", "instance_type")):
            price_column = "usd_per_hour" if "usd_per_hour" in row else "ondemand_linux_usd_per_hour"
            if price_column not in row:
                raise InputFileError(f"{file}: no 'usd_per_hour' or 'ondemand_linux_usd_per_hour' column")
            region, instance_type, price = _field(where, _price_row, row, price_column)
            prices[(region, instance_type)] = price
            source = " ".join(v for v in ((row.get("source") or ""), (row.get("as_of") or "")) if v.strip())
            known = sources.setdefault(region, [])
            if (source or file.name) not in known:
                known.append(source or file.name)
    return OnDemandPrices(prices, {region: "; ".join(names) for region, names in sources.items()})


def _price_row(row: Mapping[str, str], price_column: str) -> tuple[str, str, float]:
    region = _text(row, "region")
    if not is_region(region):
        raise _FieldError(f"region '{region}' is not a region code such as eu-west-1")
    price = _number(row, price_column, float)
    if not (price > 0 and math.isfinite(price)):
        raise _FieldError(f"{price_column} '{row[price_column]}' is not a positive number")
    return region, _text(row, "instance_type"), price


# --- CSV helpers ------------------------------------------------------------------------------------------


def _csv_rows(file: Path, required: tuple[str, ...]) -> Iterator[tuple[str, dict[str, str]]]:
    """(where, row) per data row, where = "FILE: line N" for error messages."""
    reader = csv.DictReader(io.StringIO(read_text(file), newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    if missing:
        raise InputFileError(f"{file}: missing column(s) {', '.join(missing)} (header: {','.join(header)})")
    reader.fieldnames = header
    try:
        for row in reader:
            if any((value or "").strip() for value in row.values()):
                yield f"{file}: line {reader.line_num}", row
    except csv.Error as exc:
        raise InputFileError(f"{file}: line {reader.line_num}: {exc}") from None


def _field(where: str, build: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """build(*args), with a _FieldError turned into InputFileError naming `where`."""
    try:
        return build(*args, **kwargs)
    except _FieldError as exc:
        raise InputFileError(f"{where}: {exc}") from None


def _text(row: Mapping[str, str], column: str) -> str:
    value = (row.get(column) or "").strip()
    if not value:
        raise _FieldError(f"{column} is empty")
    return value


def _number(row: Mapping[str, str], column: str, kind: Callable[[str], _T]) -> _T:
    value = _text(row, column)
    try:
        return kind(value)
    except ValueError:
        raise _FieldError(f"{column} '{value}' is not a number") from None


def _flag(row: Mapping[str, str], column: str, default: bool) -> bool:
    value = (row.get(column) or "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _FieldError(f"{column} '{row[column]}' is not true or false")
