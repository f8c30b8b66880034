"""Build the Day-Zero data shipped in layers/cloudoptim/data/ from the shared public data (run by hand).

    .venv/bin/python scripts/build_day_zero_data.py [--shared ../shared/data] [--out layers/cloudoptim/data]

Outputs are byte-for-byte reproducible (gzip mtime 0, fixed xz preset, sorted rows), so a rebuild that
changes a sha256 in PROVENANCE.md means the inputs changed. Inputs are checked against the sha256 prefixes
recorded in the shared PROVENANCE files, so the provenance written here stays true.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import lzma
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from scripts.day_zero_catalog import build_catalog  # noqa: E402
from scripts.day_zero_sources import (  # noqa: E402
    ADVISOR,
    CHEAPER_SOURCE,
    KARPENTER_PRICES,
    KARPENTER_SOURCE,
    OD_REGIONS,
    SPOT_ALL,
    SPOT_EUW1,
    Inputs,
    Shipped,
)


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
