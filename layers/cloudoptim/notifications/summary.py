"""The weekly summary of one tenant, composed from what the product stored (pure: values in, a summary out).

Money is shown per month ($/h x 730, the savings ledger's own conversion) to the cent:

>>> money(1234.5)
'$1,234.50'
>>> money(-3.0)
'-$3.00'
>>> iso_week(1764979200)  # 2025-12-06, a Saturday
'2025-W49'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

HOURS_PER_MONTH = 730
WEEK_SECONDS = 7 * 86400
TOP_RECOMMENDATIONS = 5
TOP_WASTE = 5


def money(amount: float) -> str:
    sign = "-" if round(amount, 2) < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def iso_week(now: int) -> str:
    year, week, _ = datetime.fromtimestamp(now, UTC).isocalendar()
    return f"{year}-W{week:02d}"


def day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True, slots=True)
class RecommendationLine:
    id: str
    cluster: str
    kind: str
    title: str
    status: str
    projected_savings_per_hour: float


@dataclass(frozen=True, slots=True)
class ExecutionLine:
    id: str
    cluster: str
    kind: str
    status: str
    started_at: int
    realised_savings_per_hour: float | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class WasteLine:
    kind: str
    resource_id: str
    account_region: str
    monthly_cost: float


@dataclass(frozen=True, slots=True)
class Savings:
    current_cost_per_hour: float = 0.0
    projected_savings_per_hour: float = 0.0
    realised_savings_per_hour: float = 0.0


@dataclass(frozen=True)
class WeeklySummary:
    tenant: str
    week: str
    period_start: int
    period_end: int
    savings: Savings
    open_recommendations: int
    top_recommendations: tuple[RecommendationLine, ...]
    executions: tuple[ExecutionLine, ...]
    waste_findings: int
    monthly_waste: float
    top_waste: tuple[WasteLine, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        """Nothing happened and nothing is proposed: the email says so in one line instead of empty tables."""
        return not (self.open_recommendations or self.executions or self.waste_findings) and not any(
            (self.savings.projected_savings_per_hour, self.savings.realised_savings_per_hour)
        )

    def executions_by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for line in self.executions:
            counts[line.status] = counts.get(line.status, 0) + 1
        return dict(sorted(counts.items()))

    def monthly(self, per_hour: float) -> str:
        return money(per_hour * HOURS_PER_MONTH)


def compose(
    tenant: str,
    now: int,
    savings: Savings,
    recommendations: Sequence[RecommendationLine],
    executions: Sequence[ExecutionLine],
    waste: Sequence[WasteLine],
    notes: Sequence[str] = (),
) -> WeeklySummary:
    """The week ending at `now`: open recommendations ranked by projected saving (ties by id, so the same inputs
    give the same email), the executions started in the week, waste ranked by monthly cost."""
    start = now - WEEK_SECONDS
    ranked = sorted(recommendations, key=lambda r: (-r.projected_savings_per_hour, r.id))
    in_week = sorted((e for e in executions if start <= e.started_at < now), key=lambda e: (e.started_at, e.id))
    costly = sorted(waste, key=lambda w: (-w.monthly_cost, w.resource_id))
    return WeeklySummary(
        tenant=tenant,
        week=iso_week(now),
        period_start=start,
        period_end=now,
        savings=savings,
        open_recommendations=len(ranked),
        top_recommendations=tuple(ranked[:TOP_RECOMMENDATIONS]),
        executions=tuple(in_week),
        waste_findings=len(costly),
        monthly_waste=round(sum(w.monthly_cost for w in costly), 2),
        top_waste=tuple(costly[:TOP_WASTE]),
        notes=tuple(notes),
    )
