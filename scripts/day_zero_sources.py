"""The shared-data files the Day-Zero build reads, checked against their recorded sha256, and what it ships."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

ADVISOR = "spot-advisor/spot-advisor-data_2025-06-28_spotinfo.json"
SUMMARY = "ec2-instance-catalog/instance_types_summary_from_describe-instance-types.csv"
DESCRIBE = "ec2-instance-catalog/describe-instance-types_865_hoonoh_2025-03.json"
ENI = "ec2-instance-catalog/karpenter_vpc_eni_limits.csv"
KARPENTER_PRICES = "ec2-instance-catalog/karpenter_ondemand_linux_history.csv"
OD_REGIONS = ("eu-west-1", "ap-south-1")
SPOT_EUW1 = "spot-price-history/eu-west-1/eu-west-1_2022-07-09_to_2022-07-11.tsv.xz"
SPOT_ALL = "spot-price-history/all-regions/prices_2022-05_partial_2022-05-31T18-24h.tsv.zst"
# sha256 prefixes as recorded in ../shared/data/PROVENANCE.md and ec2-ondemand-prices/PROVENANCE.md.
EXPECTED_SHA256 = {
    ADVISOR: "06d25100fe665ce3",
    SUMMARY: "9599d4c90e9b7155",
    DESCRIBE: "2667ade35e02cc5a",
    ENI: "d94df8fe214c07c1",
    KARPENTER_PRICES: "73ccc1a883d1ceca",
    SPOT_EUW1: "fe0fe3f0c6577ad9",
    SPOT_ALL: "8e3810742aa6c65d",
    "ec2-ondemand-prices/ondemand_linux_eu-west-1.csv": "ebbc85ebed4d7d68",
    "ec2-ondemand-prices/ondemand_linux_ap-south-1.csv": "d0caa1158b689ad2",
    "ec2-ondemand-prices/eu-west-1.json": "edd55d50c94ca16d",
    "ec2-ondemand-prices/ap-south-1.json": "c777d5387a19cfc0",
}
CHEAPER_SOURCE = "AWS Price List Bulk API via ec2-cheaper-finder"
KARPENTER_SOURCE = "karpenter-provider-aws generated pricing"
CATALOG_HEADER = (
    "instance_type,vcpus,memory_gib,arch,gpus,max_pods,current_generation,burstable,bare_metal,"
    "gpu_vendor,efa_interfaces,neuron_devices,neuron_cores,branch_interfaces"
)


@dataclass(frozen=True)
class Shipped:
    """One output file and the facts PROVENANCE.md records about it."""

    name: str
    sources: tuple[str, ...]
    upstream: str
    licence: str
    derivation: str
    rows: str
    use: str


class Inputs:
    """Reads shared-data files after checking them against their recorded sha256."""

    def __init__(self, shared: Path) -> None:
        self.shared = shared

    def read(self, relative: str) -> bytes:
        try:
            data = (self.shared / relative).read_bytes()
        except FileNotFoundError:
            raise SystemExit(f"{self.shared / relative}: no such file (point --shared at ../shared/data)") from None
        expected = EXPECTED_SHA256.get(relative)
        if expected and not hashlib.sha256(data).hexdigest().startswith(expected):
            raise SystemExit(f"{relative}: sha256 differs from the shared PROVENANCE record; not building")
        return data

    def csv_rows(self, relative: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.read(relative).decode("utf-8"))))
