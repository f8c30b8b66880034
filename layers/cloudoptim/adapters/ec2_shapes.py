"""EC2 answers as waste inventory: the shapes `DescribeInstances`, `DescribeVolumes` and `DescribeAddresses` return
(botocore gives datetimes, `aws ... --output json` prints the same objects with ISO strings), kubectl node lists,
and VPC flow-log records in the default format. Malformed input raises InputFileError naming where.

>>> [volume] = volumes_of({"Volumes": [{"VolumeId": "vol-1", "State": "available", "VolumeType": "gp3", "Size": 8,
...     "CreateTime": "2026-01-01T00:00:00.000Z", "AvailabilityZone": "eu-west-1a", "Attachments": []}]}, "f")
>>> volume.volume_id, volume.size_gib, volume.create_time, volume.attached_to
('vol-1', 8, 1767225600, ())
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from cloudoptim.errors import InputFileError
from cloudoptim.interruptions.kube import instance_id_of
from engines.waste.model import Address, Flow, Instance, Volume

Json = Mapping[str, Any]


def epoch(value: Any, where: str) -> int:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InputFileError(f"{where}: {value!r} is not a time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def tags_of(item: Json) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value", "")) for t in item.get("Tags") or [] if t.get("Key") is not None}


def _list(document: Any, key: str, where: str) -> list[Json]:
    if not isinstance(document, Mapping) or not isinstance(document.get(key), list):
        raise InputFileError(f"{where}: expected a {key!r} list (the output of the matching `aws ec2 describe-*`)")
    return [item for item in document[key] if isinstance(item, Mapping)]


def instances_of(document: Any, where: str) -> tuple[Instance, ...]:
    found = []
    for reservation in _list(document, "Reservations", where):
        for raw in reservation.get("Instances") or []:
            name = f"{where}: instance {raw.get('InstanceId', '?')}"
            try:
                private = [str(a["PrivateIpAddress"]) for nic in raw.get("NetworkInterfaces") or []
                           for a in nic.get("PrivateIpAddresses") or [] if a.get("PrivateIpAddress")]  # fmt: skip
                if raw.get("PrivateIpAddress") and raw["PrivateIpAddress"] not in private:
                    private.insert(0, str(raw["PrivateIpAddress"]))
                found.append(
                    Instance(
                        instance_id=str(raw["InstanceId"]),
                        state=str(raw["State"]["Name"]),
                        instance_type=str(raw["InstanceType"]),
                        launch_time=epoch(raw["LaunchTime"], name),
                        availability_zone=str((raw.get("Placement") or {}).get("AvailabilityZone", "")),
                        lifecycle="spot" if raw.get("InstanceLifecycle") == "spot" else "on-demand",
                        public_ip=raw.get("PublicIpAddress"),
                        private_ips=tuple(private),
                        tags=tags_of(raw),
                    )
                )
            except (KeyError, TypeError) as exc:
                raise InputFileError(f"{name}: missing {exc}") from None
    return tuple(found)


def volumes_of(document: Any, where: str) -> tuple[Volume, ...]:
    found = []
    for raw in _list(document, "Volumes", where):
        name = f"{where}: volume {raw.get('VolumeId', '?')}"
        try:
            attached = tuple(str(a["InstanceId"]) for a in raw.get("Attachments") or []
                             if a.get("State") in (None, "attaching", "attached", "busy"))  # fmt: skip
            found.append(
                Volume(
                    volume_id=str(raw["VolumeId"]),
                    state=str(raw["State"]),
                    volume_type=str(raw["VolumeType"]),
                    size_gib=int(raw["Size"]),
                    create_time=epoch(raw["CreateTime"], name),
                    availability_zone=str(raw.get("AvailabilityZone", "")),
                    attached_to=attached,
                    tags=tags_of(raw),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputFileError(f"{name}: missing or bad {exc}") from None
    return tuple(found)


def addresses_of(document: Any, where: str) -> tuple[Address, ...]:
    found = []
    for raw in _list(document, "Addresses", where):
        if "PublicIp" not in raw:
            raise InputFileError(f"{where}: an address without PublicIp")
        found.append(
            Address(
                public_ip=str(raw["PublicIp"]),
                allocation_id=raw.get("AllocationId"),
                association_id=raw.get("AssociationId"),
                instance_id=raw.get("InstanceId") or None,
                network_interface_id=raw.get("NetworkInterfaceId"),
                tags=tags_of(raw),
            )
        )
    return tuple(found)


def node_instance_ids(document: Any, where: str) -> frozenset[str]:
    """Instance ids of a cluster's nodes from `kubectl get nodes -o json` (a List; spec.providerID)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("items"), list):
        raise InputFileError(f"{where}: expected a Kubernetes List (`kubectl get nodes -o json`)")
    found = set()
    for item in document["items"]:
        if isinstance(item, Mapping) and item.get("kind", "Node") == "Node":
            instance = instance_id_of((item.get("spec") or {}).get("providerID"))
            if instance:
                found.add(instance)
    return frozenset(found)


FLOW_FIELDS = ("version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
               "packets", "bytes", "start", "end", "action", "log-status")  # fmt: skip


def flows_of(lines: Iterable[str], where: str) -> tuple[Flow, ...]:
    """VPC flow-log records (default format, version 2; a header line is allowed), summed per address pair."""
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 2**62, 0])
    for number, line in enumerate(lines, 1):
        parts = line.split()
        if not parts or parts[0] == "version":
            continue
        if len(parts) < len(FLOW_FIELDS):
            raise InputFileError(f"{where}: line {number}: expected the 14 fields of the default flow-log format")
        if parts[13] != "OK" or parts[9] == "-":
            continue  # NODATA / SKIPDATA records carry no traffic
        try:
            sent, start, end = int(parts[9]), int(parts[10]), int(parts[11])
        except ValueError:
            raise InputFileError(f"{where}: line {number}: bytes, start and end must be numbers") from None
        total = totals[(parts[3], parts[4])]
        total[0] += sent
        total[1], total[2] = min(total[1], start), max(total[2], end)
    return tuple(Flow(src, dst, t[0], t[1], t[2]) for (src, dst), t in sorted(totals.items()))
