"""`cloudoptim local retrain`: the weekly RetrainModel state machine, run whole on the local stack.

In AWS the scraper archives every Spot price it reads, and RetrainModel trains on the newest 90 days of them. Local
mode has no months of scraped prices, so the archive is seeded from a price history the user has (AWS CLI
`describe-spot-price-history` JSON or text, the shared TSVs: `cloudoptim.adapters.spot_prices` reads them all):
shifted by whole weeks so its newest price falls within the last week (the weekday and hour patterns stay where they
were), zone names mapped to this account's AZ IDs as the scraper maps them, written through the archive adapter.

Then RetrainModel runs as its schedule starts it: `retrain_model` trains and stores a candidate with its comparison,
the nested ValidateModel checks it in isolation, and `model_registry` promotes it only when it beat the active model
on the newest held-out window. The report is read from the execution, the nested validation and the registry.
With `from_heuristic`, ChangeModel first rolls the active model back, so the candidate is judged against the
heuristic's best rule (a region's first retraining) and the Promote step runs when it wins.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudoptim.adapters.aws.models import DynamoRegistryState
from cloudoptim.adapters.aws.price_archive import S3PriceArchive
from cloudoptim.adapters.spot_prices import load_price_history
from cloudoptim.pricing.ports import SpotPoint
from engines.spot.model import PriceHistory
from localmode.drill import DrillError
from localmode.drill_report import TERMINAL
from localmode.stack import LocalStack

WEEK = 7 * 86400


@dataclass(frozen=True)
class RetrainDrillSettings:
    prices: Sequence[Path]
    region: str = "eu-west-1"
    from_heuristic: bool = False  # roll the active model back first (ChangeModel), as a region's first retraining
    timeout_seconds: float = 1200.0


def shifted_points(history: PriceHistory, zone_ids: Mapping[str, str], now: int) -> tuple[list[SpotPoint], int]:
    """Every price of `history` moved by whole weeks so the newest lands in (now - 1 week, now]; zones as AZ IDs.

    >>> import numpy as np
    >>> from engines.spot.model import PoolKey, PriceSeries
    >>> h = PriceHistory("eu-west-1", {PoolKey("m5.large", "eu-west-1a"): PriceSeries(np.array([0, 86400]),
    ...                                 np.array([0.1, 0.2]))}, {})
    >>> points, shift = shifted_points(h, {"eu-west-1a": "euw1-az3"}, 30 * 86400)
    >>> [(p.zone, p.at - shift, p.price) for p in points], shift // WEEK
    ([('euw1-az3', 0, 0.1), ('euw1-az3', 86400, 0.2)], 4)
    """
    newest = history.last_time()
    if newest is None:
        raise DrillError(f"the price history of {history.region} holds no price")
    shift = (now - int(newest)) // WEEK * WEEK
    points = [
        SpotPoint(zone_ids.get(key.availability_zone, key.availability_zone), key.instance_type, float(price),
                  int(at) + shift)
        for key, series in history.series.items()
        for at, price in zip(series.times.tolist(), series.prices.tolist(), strict=True)
    ]  # fmt: skip
    return points, shift


class RetrainDrill:
    def __init__(self, stack: LocalStack, settings: RetrainDrillSettings) -> None:
        assert stack.deployed is not None
        self.stack, self.settings = stack, settings
        self.tables = stack.deployed.tables
        self.sfn = stack.aws.client("stepfunctions")
        self.registry = DynamoRegistryState(stack.aws.client("dynamodb"), self.tables["REGISTRY_TABLE"])

    def run(self) -> dict[str, Any]:
        region = self.settings.region
        history = load_price_history(self.settings.prices, region)[region]
        zones = self.stack.aws.client("ec2").describe_availability_zones()["AvailabilityZones"]
        points, shift = shifted_points(history, {z["ZoneName"]: z["ZoneId"] for z in zones}, int(time.time()))
        archive = S3PriceArchive(self.stack.aws.client("s3"), self.tables["PRICE_ARCHIVE_BUCKET"])
        files = archive.add_spot(region, points)
        if self.settings.from_heuristic:  # as an operator would from the console
            change = self._run(self._machine("ChangeModel"), {"action": "rollback", "actor": "local:retrain"})
            if change["status"] != "SUCCEEDED":
                raise DrillError(f"ChangeModel rollback {change['status']}: {change.get('cause')}")
        before = self.registry.load().active
        started = time.time()
        execution = self._run(self._machine("RetrainModel"), {"region": region})
        state = self.registry.load()
        output = json.loads(execution.get("output") or "{}")
        retrained = output.get("retrain") or {}
        record = state.models.get(str(retrained.get("model_id")))
        return {
            "status": execution["status"],
            "error": execution.get("error"),
            "cause": (execution.get("cause") or "")[:500] or None,
            "seconds": round(time.time() - started, 1),
            "archived_points": len(points),
            "archive_files": files,
            "shifted_by_days": shift // 86400,
            "model_id": retrained.get("model_id"),
            "beats": retrained.get("beats"),
            "comparison": retrained.get("comparison"),
            "validation": self._validations(),
            "validation_error": output.get("validation_error"),
            "candidate_status": record.status.value if record else None,
            "checks_passed": sum(1 for c in record.checks if c.passed) if record else 0,
            "checks": len(record.checks) if record else 0,
            "active_before": before,
            "active_after": state.active,
            "promoted": record is not None and state.active == record.id,
        }

    def _machine(self, name: str) -> str:
        machines = self.sfn.list_state_machines()["stateMachines"]
        found = [m["stateMachineArn"] for m in machines if name in m["name"]]
        if len(found) != 1:
            raise DrillError(f"the local stack has {len(found)} state machines named like {name}")
        return str(found[0])

    def _run(self, machine: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        arn = self.sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload))["executionArn"]
        deadline = time.monotonic() + self.settings.timeout_seconds
        while time.monotonic() < deadline:
            described: dict[str, Any] = self.sfn.describe_execution(executionArn=arn)
            if described["status"] in TERMINAL:
                return described
            time.sleep(1.0)
        raise DrillError(f"RetrainModel did not finish within {self.settings.timeout_seconds:.0f} s")

    def _validations(self) -> list[str]:
        """The nested ValidateModel executions' statuses (the retraining's own, started by it)."""
        executions = self.sfn.list_executions(stateMachineArn=self._machine("ValidateModel"))["executions"]
        return [str(e["status"]) for e in executions]


def run_retrain_drill(stack: LocalStack, settings: RetrainDrillSettings) -> dict[str, Any]:
    return RetrainDrill(stack, settings).run()
