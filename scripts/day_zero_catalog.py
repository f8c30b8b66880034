"""The instance catalogue the Day-Zero build ships: shapes, devices and limits per type (build_day_zero_data.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from scripts.day_zero_sources import CATALOG_HEADER, DESCRIBE, ENI, OD_REGIONS, SUMMARY, Inputs, Shipped

_GPU_VENDORS = {"NVIDIA": "nvidia", "AMD": "amd", "Habana": "habana"}
_BURSTABLE_RE = re.compile(r"^t\d")


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
