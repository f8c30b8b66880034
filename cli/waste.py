"""`cloudoptim waste scan`: waste findings (W1-W4) from AWS CLI outputs and kubectl node lists, dry run.

First-seen dates (AWS keeps no "unattached since") live in the `--state` file between runs: the first run records
them, a later run finds what stayed idle past the grace.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from cli.timeparse import iso, parse_time
from cloudoptim.adapters.day_zero import ON_DEMAND_FILE, shipped_data_dir
from cloudoptim.adapters.ebs_prices import load_ebs_prices
from cloudoptim.adapters.ec2_shapes import addresses_of, flows_of, instances_of, node_instance_ids, volumes_of
from cloudoptim.adapters.file_io import read_text
from cloudoptim.adapters.reference_data import load_on_demand
from cloudoptim.adapters.regions import is_region
from cloudoptim.adapters.waste_prices import waste_prices
from cloudoptim.errors import InputFileError, InvalidArgumentError
from engines.waste.model import Inventory
from engines.waste.scan import scan

STATE_FORMAT = "cloudoptim-waste-state/1"


def add_commands(areas: Any) -> None:
    waste = areas.add_parser("waste", help="waste findings: ghost instances, zombie volumes, public IPv4, cross-AZ")
    commands = waste.add_subparsers(dest="command", required=True, metavar="COMMAND")
    command = commands.add_parser("scan", help="scan AWS CLI outputs (dry run: proposes, never acts)")
    command.add_argument("--instances", type=Path, required=True, help="`aws ec2 describe-instances` JSON")
    command.add_argument("--volumes", type=Path, required=True, help="`aws ec2 describe-volumes` JSON")
    command.add_argument("--addresses", type=Path, required=True, help="`aws ec2 describe-addresses` JSON")
    clusters = "`kubectl get nodes -o json` of each registered cluster (file stem = cluster name)"
    command.add_argument("--clusters", type=Path, nargs="+", required=True, help=clusters)
    flows = "VPC flow-log files (default format); without them cross-AZ traffic is not assessed"
    command.add_argument("--flow-logs", type=Path, nargs="*", default=None, help=flows)
    command.add_argument("--region", required=True)
    command.add_argument("--now", required=True, help="ISO-8601 time of the scan")
    command.add_argument("--state", type=Path, required=True, help="first-seen records, read and rewritten")
    command.add_argument("--format", choices=("json",), default="json")
    command.set_defaults(run=run_scan)


def _json(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except ValueError as exc:
        raise InputFileError(f"{path}: not JSON ({exc})") from None


def read_state(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    raw = _json(path)
    if not isinstance(raw, dict) or raw.get("format") != STATE_FORMAT or not isinstance(raw.get("first_seen"), dict):
        raise InputFileError(f"{path}: not a waste state file ({STATE_FORMAT})")
    return {str(k): parse_time(str(v), f"{path}: first_seen.{k}") for k, v in raw["first_seen"].items()}


def write_state(path: Path, first_seen: dict[str, int]) -> None:
    body = {"format": STATE_FORMAT, "first_seen": {k: iso(v) for k, v in sorted(first_seen.items())}}
    handle, temporary = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as out:
        json.dump(body, out, indent=2)
    os.replace(temporary, path)  # a crash never leaves half a state file


def run_scan(args: argparse.Namespace) -> str:
    if not is_region(args.region):
        raise InvalidArgumentError(f"--region {args.region!r}: a region code such as eu-west-1")
    now = parse_time(args.now, "--now")
    clusters = {path.stem: node_instance_ids(_json(path), str(path)) for path in args.clusters}
    if args.flow_logs is None:
        flows, note = None, f"no VPC flow-log data given for {args.region} (--flow-logs): cross-AZ traffic not assessed"
    else:
        flows = tuple(f for path in args.flow_logs for f in flows_of(read_text(path).splitlines(), str(path)))
        note = ""
    inventory = Inventory(
        region=args.region,
        instances=instances_of(_json(args.instances), str(args.instances)),
        volumes=volumes_of(_json(args.volumes), str(args.volumes)),
        addresses=addresses_of(_json(args.addresses), str(args.addresses)),
        cluster_nodes=clusters,
        flows=flows,
        flows_note=note,
    )
    on_demand = load_on_demand(shipped_data_dir() / ON_DEMAND_FILE)
    prices = waste_prices(args.region, on_demand, load_ebs_prices(), now)
    report = scan(inventory, read_state(args.state), prices, now)
    write_state(args.state, dict(report.first_seen))
    return json.dumps(report.as_json(), indent=2)
