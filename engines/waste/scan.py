"""One scan of an account region: every registered detector, findings sorted by monthly cost.

>>> from engines.waste.model import Inventory, Prices, Volume
>>> volume = Volume("vol-1", "available", "gp3", 100, create_time=0, availability_zone="eu-west-1a")
>>> prices = Prices(on_demand={}, ebs={"gp3": PriceRef(0.088, "eu-west-1 list")})
>>> first = scan(Inventory("eu-west-1", volumes=(volume,)), {}, prices, now=1_000_000)
>>> first.findings, first.first_seen
((), {'vol-1': 1000000})
>>> later = scan(Inventory("eu-west-1", volumes=(volume,)), first.first_seen, prices, now=1_000_000 + 8 * 86400)
>>> [(f.kind.value, f.monthly_cost) for f in later.findings]
[('zombie_volume', 8.8)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engines.waste.detectors import DETECTORS, Context
from engines.waste.model import Inventory, PriceRef, Prices, Report, WastePolicy

__all__ = ["PriceRef", "scan"]


def scan(
    inventory: Inventory,
    first_seen: Mapping[str, int],
    prices: Prices,
    now: int,
    policy: WastePolicy | None = None,
    detectors: Sequence[str] | None = None,
) -> Report:
    """Findings of the chosen detectors (all by default). The first-seen records returned replace the ones given:
    a resource no longer idle loses its record, so it starts over if it goes idle again."""
    context = Context(inventory, dict(first_seen), prices, policy or WastePolicy(), now)
    findings = []
    kept: dict[str, int] = {}
    not_assessed = []
    for name in detectors or DETECTORS.names():
        result = DETECTORS.build(name)(context)
        findings.extend(result.findings)
        kept.update(result.first_seen)
        not_assessed.extend(result.not_assessed)
    findings.sort(key=lambda f: (-f.monthly_cost, f.kind.value, f.resource_id))
    return Report(tuple(findings), kept, tuple(not_assessed))
