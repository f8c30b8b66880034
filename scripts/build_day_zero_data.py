"""Build the Day-Zero data shipped in layers/cloudoptim/data/ from the shared public data (run by hand).

    .venv/bin/python scripts/build_day_zero_data.py [--shared ../shared/data] [--out layers/cloudoptim/data]

Outputs are byte-for-byte reproducible (gzip mtime 0, fixed xz preset, sorted rows), so a rebuild that
changes a sha256 in PROVENANCE.md means the inputs changed. Inputs are checked against the sha256 prefixes
recorded in the shared PROVENANCE files, so the provenance written here stays true.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import lzma
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
_GPU_VENDORS = {"NVIDIA": "nvidia", "AMD": "amd", "Habana": "habana"}
_BURSTABLE_RE = re.compile(r"^t\d")


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


def build_advisor(inputs: Inputs, out: Path) -> Shipped:
    data = inputs.read(ADVISOR)
    advisor = json.loads(data)["spot_advisor"]
    linux = sum(len(by_os.get("Linux", {})) for by_os in advisor.values())
    name = "spot-advisor_2025-06-28.json.gz"
    (out / name).write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return Shipped(
        name,
        (ADVISOR,),
        "alexei-led/spotinfo, internal/spot/data/spot-advisor-data.json, commit "
        "5bdc33cee2e185c2f62df29dd9c4ad0ad7102a74 (2025-06-28; same blob still at 05e933139449…, 2025-07-28)",
        "Apache-2.0 (repository); the data is AWS's public Spot Advisor feed",
        "Content unchanged, gzip-compressed (level 9, mtime 0). The snapshot date is the upstream commit date.",
        f"{len(advisor)} regions, {linux} Linux entries",
        "Interruption bucket (r, 0..4) and savings % per (region, instance type): the Spot risk score.",
    )


def _arch(architectures: str) -> str | None:
    names = architectures.split("|")
    return next((a for a in ("x86_64", "arm64") if a in names), None)


def _gib(mib: str) -> str:
    value = int(mib) / 1024
    return str(int(value)) if value.is_integer() else repr(value)


def _flag(value: bool | str) -> str:
    return "true" if value is True or str(value).lower() == "true" else "false"


def _devices(inputs: Inputs) -> dict[str, list[str]]:
    """Per type: gpu_vendor, efa_interfaces, neuron_devices, neuron_cores, as DescribeInstanceTypes states them
    (a type without GpuInfo, EfaInfo or NeuronInfo has none: 0, not unknown)."""
    found: dict[str, list[str]] = {}
    for item in json.loads(inputs.read(DESCRIBE)):
        gpus = (item.get("GpuInfo") or {}).get("Gpus") or []
        vendors = {_GPU_VENDORS.get(g.get("Manufacturer", ""), "") for g in gpus}
        if "" in vendors or len(vendors) > 1:
            raise SystemExit(f"{item['InstanceType']}: unexpected GPU manufacturers {vendors}")
        network = item.get("NetworkInfo") or {}
        efa = (network.get("EfaInfo") or {}).get("MaximumEfaInterfaces", 0) if network.get("EfaSupported") else 0
        neuron = (item.get("NeuronInfo") or {}).get("NeuronDevices") or []
        devices = sum(d["Count"] for d in neuron)
        cores = sum(d["Count"] * d["CoreInfo"]["Count"] for d in neuron)
        found[item["InstanceType"]] = [next(iter(vendors), ""), str(efa), str(devices), str(cores)]
    return found


def _branches(row: dict[str, str] | None) -> str:
    """vpc.amazonaws.com/pod-eni as Karpenter offers it: branch ENIs of trunking-compatible types."""
    if row is None:
        return ""
    return row["branch_enis"] if row["trunking_compatible"] == "true" else "0"


def _catalog_from_describe(
    inputs: Inputs, max_pods: dict[str, str], eni: dict[str, dict[str, str]]
) -> tuple[dict[str, list[str]], int]:
    devices = _devices(inputs)
    rows: dict[str, list[str]] = {}
    skipped = 0
    for row in inputs.csv_rows(SUMMARY):
        arch = _arch(row["architectures"])
        if arch is None:  # Mac types (x86_64_mac, arm64_mac): dedicated hosts only, no Spot, no EKS nodes
            skipped += 1
            continue
        name = row["instance_type"]
        rows[name] = [
            name,
            row["vcpus"],
            _gib(row["memory_mib"]),
            arch,
            row["gpu_count"] or "0",
            max_pods.get(name, ""),
            _flag(row["current_generation"]),
            _flag(row["burstable"]),
            _flag(row["bare_metal"]),
            *devices[name],
            _branches(eni.get(name)),
        ]
    return rows, skipped


def _price_list_generations(inputs: Inputs) -> dict[str, bool]:
    generation: dict[str, bool] = {}
    for region in OD_REGIONS:
        document = json.loads(inputs.read(f"ec2-ondemand-prices/{region}.json"))
        for item in document["instances"]:
            generation.setdefault(item["instanceType"], bool(item["currentGeneration"]))
    return generation


def build_catalog(inputs: Inputs, out: Path) -> Shipped:
    eni = {row["instance_type"]: row for row in inputs.csv_rows(ENI)}
    max_pods = {name: row["eks_max_pods_default"] for name, row in eni.items()}
    rows, skipped = _catalog_from_describe(inputs, max_pods, eni)
    from_describe = len(rows)
    generation = _price_list_generations(inputs)
    for region in OD_REGIONS:
        for row in inputs.csv_rows(f"ec2-ondemand-prices/ondemand_linux_{region}.csv"):
            name = row["instance_type"]
            if name in rows:
                continue
            bare_metal = eni[name]["bare_metal"] if name in eni else str(name.endswith(".metal"))
            rows[name] = [
                name,
                row["vcpus"],
                row["memory_gib"],
                row["architecture"],
                "0",
                max_pods.get(name, ""),
                _flag(generation.get(name, True)),
                _flag(bool(_BURSTABLE_RE.match(name))),
                _flag(bare_metal),
                "",  # no GPUs (the price lists exclude accelerated types), so no vendor
                "",  # EFA and Neuron unknown: the price lists do not say
                "",
                "",
                _branches(eni.get(name)),
            ]
    text = CATALOG_HEADER + "\n" + "".join(",".join(rows[name]) + "\n" for name in sorted(rows))
    name = "instance-catalog.csv"
    (out / name).write_text(text, encoding="utf-8", newline="\n")
    with_pods = sum(1 for row in rows.values() if row[5])
    with_efa = sum(1 for row in rows.values() if row[10] not in ("", "0"))
    with_neuron = sum(1 for row in rows.values() if row[11] not in ("", "0"))
    known_devices = sum(1 for row in rows.values() if row[10])
    return Shipped(
        name,
        (
            SUMMARY,
            DESCRIBE,
            ENI,
            *(f"ec2-ondemand-prices/ondemand_linux_{r}.csv" for r in OD_REGIONS),
            *(f"ec2-ondemand-prices/{r}.json" for r in OD_REGIONS),
        ),
        "hoonoh/aws-spot-price (DescribeInstanceTypes pages), HEAD b02e9d49242be6a05b6752c4098c1341dbbcfaa2; "
        "aws/karpenter-provider-aws zz_generated.vpclimits.go, HEAD 1d927085dd81a9df9301e613f371dac5b4d16bfe; "
        "ChaseFreeman17/ec2-cheaper-finder data/regions/*.json, commit 104f716e8457b8ad9018a479b75a6e7f85449a8f",
        "MIT (hoonoh), Apache-2.0 (karpenter); ec2-cheaper-finder has NO licence (its figures are AWS's public "
        "Price List API data, re-fetchable from AWS)",
        "DERIVED. One row per DescribeInstanceTypes type: memory_mib/1024 -> memory_gib; architectures "
        "'i386|x86_64' -> x86_64; gpu_count -> gpus; flags as in the summary; from the DescribeInstanceTypes "
        "pages themselves: gpu_vendor (GpuInfo manufacturer: nvidia, amd, habana), efa_interfaces "
        "(NetworkInfo.EfaInfo.MaximumEfaInterfaces, 0 when EfaSupported is false), neuron_devices and "
        "neuron_cores (NeuronInfo: device count, and devices x cores per device; 0 without NeuronInfo). "
        "branch_interfaces (vpc.amazonaws.com/pod-eni) = the karpenter table's branch_enis for "
        "trunking-compatible types, 0 for others, empty for types absent there. Mac types (x86_64_mac/arm64_mac; "
        f"{skipped} types) are left out: dedicated hosts only, no Spot, not EKS nodes. max_pods = karpenter "
        "eks_max_pods_default (empty if the type is absent there). Then the types priced in ondemand_linux_"
        "{eu-west-1,ap-south-1}.csv but absent from the catalogue are added from those CSVs (vcpus, memory_gib "
        "and architecture as given; gpus 0 since those files exclude accelerated types; current_generation "
        "from the price list JSON's currentGeneration, true if absent; burstable = family 't<digit>'; "
        "bare_metal from the karpenter table, else a '.metal' suffix; gpu_vendor empty; efa_interfaces, "
        "neuron_devices and neuron_cores empty = unknown, so no pod needing those devices is planned onto "
        "them). Sorted by instance_type.",
        f"{len(rows)} types ({from_describe} from DescribeInstanceTypes, {len(rows) - from_describe} added from "
        f"the On-Demand price lists); {with_pods} with max_pods; EFA and Neuron known for {known_devices} "
        f"({with_efa} with EFA, {with_neuron} with Neuron devices)",
        "Instance specs for requirement filtering (vCPU, memory, arch, GPUs, pods per node) and "
        "consolidation/rightsizing shapes, and the devices a replacement node offers (GPUs by vendor, EFA, "
        "Neuron, pod ENIs).",
    )


def _cheaper_rows(inputs: Inputs) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for region in OD_REGIONS:
        as_of = json.loads(inputs.read(f"ec2-ondemand-prices/{region}.json"))["generatedAt"][:10]
        for row in inputs.csv_rows(f"ec2-ondemand-prices/ondemand_linux_{region}.csv"):
            price = row["ondemand_linux_usd_per_hour"]
            rows.append((row["region"], row["instance_type"], price, CHEAPER_SOURCE, as_of))
    return rows


def _karpenter_rows(inputs: Inputs) -> tuple[list[tuple[str, ...]], str]:
    """us-east-1 rows of the newest commit_date, and that commit's SHA."""
    history = [row for row in inputs.csv_rows(KARPENTER_PRICES) if row["region"] == "us-east-1"]
    newest = max(row["commit_date"] for row in history)
    latest = [row for row in history if row["commit_date"] == newest]
    commits = sorted({row["karpenter_commit"] for row in latest})
    rows: list[tuple[str, ...]] = [
        (row["region"], row["instance_type"], row["ondemand_usd_per_hour"], KARPENTER_SOURCE, newest) for row in latest
    ]
    return rows, ", ".join(commits)


def build_on_demand(inputs: Inputs, out: Path) -> Shipped:
    karpenter, commit = _karpenter_rows(inputs)
    rows = sorted(_cheaper_rows(inputs) + karpenter)
    duplicates = [key for key, count in Counter((row[0], row[1]) for row in rows).items() if count > 1]
    if duplicates:
        raise SystemExit(f"on-demand rows repeat (region, type): {duplicates[:5]}")
    lines = ["region,instance_type,usd_per_hour,source,as_of", *(",".join(row) for row in rows)]
    name = "on-demand-linux.csv"
    (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    per_region = Counter(row[0] for row in rows)
    karpenter_date = next(row[4] for row in rows if row[3] == KARPENTER_SOURCE)
    return Shipped(
        name,
        (*(f"ec2-ondemand-prices/ondemand_linux_{r}.csv" for r in OD_REGIONS), KARPENTER_PRICES),
        "ChaseFreeman17/ec2-cheaper-finder data/regions/{eu-west-1,ap-south-1}.json, commit "
        "104f716e8457b8ad9018a479b75a6e7f85449a8f (generatedAt 2026-09-04); aws/karpenter-provider-aws "
        f"zz_generated.pricing*.go at commit {commit} ({karpenter_date})",
        "ec2-cheaper-finder has NO licence (prices are AWS's public Price List API data); karpenter Apache-2.0",
        "DERIVED. eu-west-1 and ap-south-1: every row of ondemand_linux_<region>.csv (Linux, shared tenancy; "
        "accelerated and bare-metal types excluded upstream), as_of = the region JSON's generatedAt date. "
        f"us-east-1: the karpenter history rows of the newest commit_date ({karpenter_date}). Price text kept "
        "exactly as given. Sorted by (region, instance_type).",
        ", ".join(f"{region} {count}" for region, count in sorted(per_region.items())) + f" (total {len(rows)})",
        "On-Demand baseline: savings of Spot vs On-Demand, and the fallback cost when Spot is refused.",
    )


def _zstd_lines(path: Path) -> list[str]:
    result = subprocess.run(["zstd", "-dc", str(path)], capture_output=True, check=True)
    return result.stdout.decode("utf-8").splitlines()


def build_spot_prices(inputs: Inputs, out: Path) -> Shipped:
    inputs.read(SPOT_ALL)  # sha256 check only; zstd reads the file itself
    euw1 = [
        line
        for line in lzma.decompress(inputs.read(SPOT_EUW1)).decode("utf-8").splitlines()
        if line.split("\t")[4] == "Linux/UNIX"
    ]
    others = []
    for line in _zstd_lines(inputs.shared / SPOT_ALL):
        az_id, instance_type, product, price, timestamp = line.split("\t")
        if product == "Linux/UNIX" and not az_id.startswith("euw1-"):
            others.append("\t".join(("SPOTINSTANCEPRICE", price, timestamp, instance_type, product, az_id)))
    name = "spot-prices-latest.tsv.xz"
    payload = "".join(line + "\n" for line in euw1 + others).encode("utf-8")
    (out / name).write_bytes(lzma.compress(payload, preset=9 | lzma.PRESET_EXTREME))
    prefixes = Counter(line.rsplit("\t", 1)[1].split("-az")[0] for line in others)
    return Shipped(
        name,
        (SPOT_EUW1, SPOT_ALL),
        "eu-west-1: mpette200/msc-project-public src/main/python/scripts/tmp_store/"
        "eu-west-1_2022-07-11T22_09_27.xz, commit 26c1d8eec6884933a144d7cf96895463a5e58bd7. Other regions: "
        "ericpauley/aws-spot-price-history prices/2022/05.tsv.zst, commit "
        "99042f7b01c979f36cc5cbbb07ed522952693cdd (dataset now on Zenodo, DOI 10.5281/zenodo.14198917)",
        "NO licence stated in either repository; the content is AWS public DescribeSpotPriceHistory output",
        "DERIVED. DescribeSpotPriceHistory text format, no header: SPOTINSTANCEPRICE, price, timestamp, type, "
        "product, zone. First every Linux/UNIX row of the eu-west-1 2022-07-09..11 dump (AZ names, file "
        "order); then every Linux/UNIX row of the all-regions 2022-05-31 18:20-24:00 UTC slice except eu-west-1 "
        "(euw1-*, superseded by the newer July file), with the AZ ID in the zone column. Price and timestamp "
        "text as given. xz preset 9e.",
        f"{len(euw1) + len(others)} rows: eu-west-1 {len(euw1)}; "
        + ", ".join(f"{prefix} {count}" for prefix, count in sorted(prefixes.items())),
        "Recent Spot prices per pool (type x AZ) so `cloudoptim` can rank pools before the user supplies "
        "their own price history.",
    )


def provenance(out: Path, shipped: Iterable[Shipped]) -> str:
    parts = [
        "# Day-Zero data shipped with CloudOptim: provenance\n",
        "Built by `scripts/build_day_zero_data.py` from `../shared/data` (paths below are relative to it; see "
        "its PROVENANCE.md). Rebuilds are byte-identical. No upstream code was run or copied.\n",
        "Licence caution: three sources (ec2-cheaper-finder, mpette200, ericpauley) carry no licence. Their "
        "content is AWS public API output, which can be re-fetched from AWS if licence-clean data is needed.\n",
    ]
    for item in shipped:
        data = (out / item.name).read_bytes()
        parts.append(
            f"## {item.name}\n\n"
            f"- size: {len(data):,} bytes; sha256 `{hashlib.sha256(data).hexdigest()}`\n"
            f"- source (shared data): {', '.join(f'`{s}`' for s in item.sources)}\n"
            f"- upstream: {item.upstream}\n- licence: {item.licence}\n- how: {item.derivation}\n"
            f"- rows: {item.rows}\n- used by the CLI for: {item.use}\n"
        )
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "layers" / "cloudoptim" / "data")
    args = parser.parse_args(argv)
    inputs, out = Inputs(args.shared), args.out
    out.mkdir(parents=True, exist_ok=True)
    shipped = [build(inputs, out) for build in (build_advisor, build_catalog, build_on_demand, build_spot_prices)]
    (out / "PROVENANCE.md").write_text(provenance(out, shipped), encoding="utf-8", newline="\n")
    print("\n".join(f"{item.name}: {(out / item.name).stat().st_size:,} bytes; {item.rows}" for item in shipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
