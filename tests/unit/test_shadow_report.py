"""The shadow report: which choices are judged, pending or beyond the records' keeping; paired metrics that rank a
candidate that foresaw the interruptions above an active model that did not; bounds on every metric."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cloudoptim.models.ports import Interruption, ShadowEntry
from cloudoptim.models.shadow import shadow_report
from engines.interruption.hive import RECORD_TTL_SECONDS

HOUR = 3600
NOW = 100 * 86400


def entry(
    at: int, active_pool: str, candidate_pool: str, active: dict[str, float], candidate: dict[str, float]
) -> ShadowEntry:
    return ShadowEntry(
        at=at - 1800, chosen_at=at, region="eu-west-1", active="m-active", candidate="m-new",
        active_pool=active_pool, candidate_pool=candidate_pool, active_risk=None, candidate_risk=None,
        active_scores=active, candidate_scores=candidate,
    )  # fmt: skip


def test_judged_pending_and_expired_are_told_apart() -> None:
    scores = {"a@z1": 0.1}
    entries = [
        entry(NOW - 20 * HOUR, "a@z1", "a@z1", scores, scores),  # judged
        entry(NOW - 2 * HOUR, "a@z1", "a@z1", scores, scores),  # horizon not over
        entry(NOW - RECORD_TTL_SECONDS - HOUR, "a@z1", "a@z1", scores, scores),  # records gone
    ]
    report = shadow_report("m-new", entries, {}, NOW)
    assert (report.entries, report.judged, report.pending, report.expired) == (3, 1, 1, 1)
    assert report.agreement == 1.0 and report.positives == 0


def test_a_candidate_that_foresaw_the_interruptions_wins_on_every_metric() -> None:
    entries, records = [], []
    for i in range(10):
        at = NOW - (20 + i) * HOUR
        bad, good = f"m5.large@z{i}", f"m6i.large@z{i}"
        # the active model prefers the pool that is about to be interrupted; the candidate sees it coming
        entries.append(entry(at, bad, good, {bad: 0.05, good: 0.2}, {bad: 0.8, good: 0.02}))
        records.append(Interruption(pool=bad, at=at + HOUR))
    report = shadow_report("m-new", entries, {"eu-west-1": records}, NOW)
    assert report.judged == 10 and report.agreement == 0.0 and report.positives == 10
    assert report.interrupted_picks == {"active": 1.0, "candidate": 0.0}
    assert report.auc == {"active": 0.0, "candidate": 1.0}
    assert report.brier["candidate"] < report.brier["active"]  # type: ignore[operator]
    assert report.log_loss["candidate"] < report.log_loss["active"]  # type: ignore[operator]
    assert report.verdict.endswith(": better")


def test_an_interruption_before_the_choice_or_after_the_horizon_is_not_its_outcome() -> None:
    at = NOW - 20 * HOUR
    scores = {"a@z1": 0.3}
    records = [Interruption(pool="a@z1", at=at - 60), Interruption(pool="a@z1", at=at + 13 * HOUR)]
    report = shadow_report("m-new", [entry(at, "a@z1", "a@z1", scores, scores)], {"eu-west-1": records}, NOW)
    assert report.positives == 0 and report.interrupted_picks == {"active": 0.0, "candidate": 0.0}


probability = st.floats(0, 1, allow_nan=False)


@given(
    st.lists(st.tuples(probability, probability, probability, probability, st.booleans(), st.booleans()), max_size=30)
)
def test_every_metric_is_bounded(rows: list[tuple[float, float, float, float, bool, bool]]) -> None:
    entries, records = [], []
    for i, (a1, a2, c1, c2, hit1, hit2) in enumerate(rows):
        at, one, two = NOW - (13 + i) * HOUR, f"a@z{i}", f"b@z{i}"
        entries.append(entry(at, one, two, {one: a1, two: a2}, {one: c1, two: c2}))
        records += [Interruption(pool=p, at=at + 60) for p, hit in ((one, hit1), (two, hit2)) if hit]
    report = shadow_report("m-new", entries, {"eu-west-1": records}, NOW)
    assert report.judged == len(rows)
    for side in ("active", "candidate"):
        for value in (report.brier[side], report.auc[side], report.interrupted_picks[side]):
            assert value is None or 0 <= value <= 1
        assert report.log_loss[side] is None or report.log_loss[side] >= 0  # type: ignore[operator]
