"""AWS regions, zone names and AZ IDs.

Spot price data names zones two ways: by AZ name ("eu-west-1a", whose letter is shuffled per account in older
regions) or by AZ ID ("euw1-az1", the same physical zone in every account). Both must map to one region so
that histories from different sources land in the same place.
"""

from __future__ import annotations

import re

from cloudoptim.errors import InvalidArgumentError, UnknownRegionError

# AZ ID prefix -> region. AWS derives the prefix from the region name (country code, direction initials,
# number), but spells it out nowhere machine-readable, so the table is explicit.
AZ_ID_PREFIXES: dict[str, str] = {
    "use1": "us-east-1",
    "use2": "us-east-2",
    "usw1": "us-west-1",
    "usw2": "us-west-2",
    "usge1": "us-gov-east-1",
    "usgw1": "us-gov-west-1",
    "cac1": "ca-central-1",
    "caw1": "ca-west-1",
    "mxc1": "mx-central-1",
    "sae1": "sa-east-1",
    "euw1": "eu-west-1",
    "euw2": "eu-west-2",
    "euw3": "eu-west-3",
    "euc1": "eu-central-1",
    "euc2": "eu-central-2",
    "eun1": "eu-north-1",
    "eus1": "eu-south-1",
    "eus2": "eu-south-2",
    "afs1": "af-south-1",
    "ilc1": "il-central-1",
    "mes1": "me-south-1",
    "mec1": "me-central-1",
    "aps1": "ap-south-1",
    "aps2": "ap-south-2",
    "ape1": "ap-east-1",
    "ape2": "ap-east-2",
    "apse1": "ap-southeast-1",
    "apse2": "ap-southeast-2",
    "apse3": "ap-southeast-3",
    "apse4": "ap-southeast-4",
    "apse5": "ap-southeast-5",
    "apse6": "ap-southeast-6",
    "apse7": "ap-southeast-7",
    "apne1": "ap-northeast-1",
    "apne2": "ap-northeast-2",
    "apne3": "ap-northeast-3",
    "cnn1": "cn-north-1",
    "cnnw1": "cn-northwest-1",
}

# "use1-az2"; Local Zone IDs carry a location part: "use1-bos1-az1".
_AZ_ID_RE = re.compile(r"^(?P<prefix>[a-z]+\d+)-(?:[a-z]+\d+-)?az\d+$")
# "eu-west-1a", "us-gov-west-1b"; Local/Wavelength Zones: "us-east-1-bos-1a", "us-east-1-wl1-bos-wlz-1".
_REGION = r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+"
_AZ_NAME_RE = re.compile(rf"^(?P<region>{_REGION})(?:[a-z]|-[a-z0-9-]+)$")
_REGION_RE = re.compile(rf"^{_REGION}$")


def is_az_id(zone: str) -> bool:
    """True for an AZ ID such as "aps1-az2" (not an AZ name such as "ap-south-1a")."""
    return _AZ_ID_RE.match(zone) is not None


def is_region(name: str) -> bool:
    """True when `name` is shaped like a region code ("eu-west-1"), known to the table or not."""
    return _REGION_RE.match(name) is not None


def region_of_zone(zone: str) -> str:
    """The region of an AZ name ("eu-west-1a"), Local Zone name ("us-east-1-bos-1a") or AZ ID ("aps1-az2").

    Raises InvalidArgumentError for a string shaped like neither, UnknownRegionError for an AZ ID whose
    prefix is not in the table.
    """
    id_match = _AZ_ID_RE.match(zone)
    if id_match is not None:
        prefix = id_match.group("prefix")
        region = AZ_ID_PREFIXES.get(prefix)
        if region is None:
            raise UnknownRegionError(f"AZ ID '{zone}': unknown region prefix '{prefix}'")
        return region
    name_match = _AZ_NAME_RE.match(zone)
    if name_match is None:
        raise InvalidArgumentError(f"'{zone}' is not an availability zone name (eu-west-1a) or AZ ID (euw1-az1)")
    return name_match.group("region")
