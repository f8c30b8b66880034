"""`GET /v1/savings`: the one ledger, in $/h and $/month, by capability, with its formula in words."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cloudoptim.api.context import Caller, Deps
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas import CapabilitySavings, Savings
from cloudoptim.optimization import savings

router = APIRouter(tags=["savings"])
HOURS_PER_MONTH = 730


def _month(per_hour: float) -> float:
    return round(per_hour * HOURS_PER_MONTH, 2)


@router.get("/v1/savings", response_model=Savings, responses=responses(401, 403, 422))
def get_savings(
    principal: Caller,
    wired: Deps,
    cluster: Annotated[str | None, Query(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")] = None,
) -> Savings:
    found = savings.totals(wired.optimization, principal, cluster, wired.now())
    by_capability = {
        kind: CapabilitySavings(
            projected_savings_per_hour=round(line["projected_savings_per_hour"], 4),
            realised_savings_per_hour=round(line["realised_savings_per_hour"], 4),
            projected_savings_per_month=_month(line["projected_savings_per_hour"]),
            realised_savings_per_month=_month(line["realised_savings_per_hour"]),
            recommendations=int(line["recommendations"]),
        )
        for kind, line in found.by_capability.items()
    }
    return Savings(
        current_cost_per_hour=round(found.current_cost_per_hour, 4),
        current_cost_per_month=_month(found.current_cost_per_hour),
        projected_savings_per_hour=round(found.projected_savings_per_hour, 4),
        projected_savings_per_month=_month(found.projected_savings_per_hour),
        realised_savings_per_hour=round(found.realised_savings_per_hour, 4),
        realised_savings_per_month=_month(found.realised_savings_per_hour),
        by_capability=by_capability,
        formula=savings.FORMULA,
    )
