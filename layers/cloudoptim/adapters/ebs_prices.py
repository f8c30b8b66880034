"""EBS storage prices per GB-month from the shipped table (data/ebs-prices.csv; provenance in PROVENANCE.md).

A region the table lacks falls back to us-east-1's prices, and each price says where it came from.

>>> book = load_ebs_prices()
>>> book.for_region("eu-west-1")["gp3"].value, book.for_region("ap-south-1")["gp3"].note.startswith("us-east-1")
(0.088, True)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cloudoptim.adapters.day_zero import shipped_data_dir
from cloudoptim.adapters.file_io import read_text
from cloudoptim.errors import InputFileError
from engines.waste.model import PriceRef

EBS_FILE = "ebs-prices.csv"
FALLBACK_REGION = "us-east-1"
SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class EbsPrices:
    rows: Mapping[tuple[str, str], tuple[float, str]]  # (region, type) -> (price, "source as_of")

    def for_region(self, region: str) -> dict[str, PriceRef]:
        """Volume type -> price, snapshot storage included under "snapshot"."""
        exact = {t: v for (r, t), v in self.rows.items() if r == region}
        if exact:
            return {t: PriceRef(price, f"{region} list, {source}") for t, (price, source) in exact.items()}
        fallback = {t: v for (r, t), v in self.rows.items() if r == FALLBACK_REGION}
        note = f"{FALLBACK_REGION} price: no {region} price shipped"
        return {t: PriceRef(price, f"{note}, {source}") for t, (price, source) in fallback.items()}


def load_ebs_prices(path: Path | None = None) -> EbsPrices:
    file = path or shipped_data_dir() / EBS_FILE
    rows: dict[tuple[str, str], tuple[float, str]] = {}
    for number, row in enumerate(csv.DictReader(io.StringIO(read_text(file))), 2):
        try:
            price = float(row["usd_per_gb_month"])
            rows[(row["region"], row["volume_type"])] = (price, f"{row['source']} {row['as_of']}".strip())
        except (KeyError, ValueError, TypeError):
            raise InputFileError(
                f"{file}: line {number}: expected region,volume_type,usd_per_gb_month,source,as_of"
            ) from None
    return EbsPrices(rows)
