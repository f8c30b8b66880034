"""What a user does in the dashboard, each checked against the API: sorting, approving and rejecting (operator and
admin only), CSV export, audit search and pages, and a schedule edited in the grid saved under If-Match."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from tests.browser.conftest import Session
from tests.browser.world import RECOMMENDATIONS, TENANT

pytestmark = pytest.mark.browser


def _savings(session: Session) -> list[float]:
    return [float(v) for v in session.page.locator("td[data-savings]").evaluate_all(
        "cells => cells.map(c => c.dataset.savings)")]  # fmt: skip


def test_recommendations_sort_by_savings_both_ways(signed_in: Callable[[str], Session]) -> None:
    session = signed_in("viewer")
    session.open("recommendations")
    descending = _savings(session)
    assert len(descending) == RECOMMENDATIONS
    assert descending == sorted(descending, reverse=True) and descending[0] > descending[-1]
    session.page.get_by_role("button", name="Savings $/month").click()
    assert session.page.locator("th[aria-sort=ascending]").count() == 1
    assert _savings(session) == sorted(descending)
    assert session.unexpected() == []


def test_a_viewer_sees_no_approve_or_reject(signed_in: Callable[[str], Session]) -> None:
    session = signed_in("viewer")
    session.open("recommendations")
    assert session.page.locator("tbody tr").count() == RECOMMENDATIONS
    assert session.page.get_by_role("button", name="Approve").count() == 0
    assert session.page.get_by_role("button", name="Reject").count() == 0
    assert session.page.get_by_role("columnheader", name="Decision").count() == 0


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_approve_and_reject_after_confirmation_change_the_status(
    signed_in: Callable[[str], Session], role: str
) -> None:
    session = signed_in(role)
    session.open("recommendations")
    page = session.page
    rows = page.locator("tbody tr").filter(has=page.get_by_role("button", name="Approve", exact=False))
    first, second = rows.nth(0).get_attribute("data-id"), rows.nth(1).get_attribute("data-id")
    assert first and second
    page.locator(f"tr[data-id='{first}']").get_by_role("button", name="Approve", exact=False).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Cancel").click()  # a cancelled confirmation changes nothing
    assert page.locator(f"tr[data-id='{first}'] [data-status]").inner_text() == "open"
    page.locator(f"tr[data-id='{first}']").get_by_role("button", name="Approve", exact=False).click()
    dialog.get_by_role("button", name="Approve").click()
    approved = session.served.api(f"/v1/recommendations/{first}")["status"]
    assert approved != "open"
    page.locator(f"tr[data-id='{first}'] [data-status]").filter(has_text=approved.replace("_", " ")).wait_for()
    page.locator(f"tr[data-id='{second}']").get_by_role("button", name="Reject", exact=False).click()
    dialog.get_by_label("Reason (optional)").fill("not during the freeze")
    dialog.get_by_role("button", name="Reject").click()
    page.locator(f"tr[data-id='{second}'] [data-status]").filter(has_text="rejected").wait_for()
    rejected = session.served.api(f"/v1/recommendations/{second}")
    assert (rejected["status"], rejected["decision_reason"]) == ("rejected", "not during the freeze")
    assert page.locator(f"tr[data-id='{second}']").get_by_role("button", name="Approve", exact=False).count() == 0
    assert session.unexpected() == []


def test_csv_export_downloads_the_rows_shown(signed_in: Callable[[str], Session]) -> None:
    session = signed_in("viewer")
    session.open("recommendations")
    with session.page.expect_download() as started:
        session.page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(started.value.path().read_text(encoding="utf-8"))))
    api = {r["id"]: r for r in session.served.api("/v1/recommendations?limit=1000", "viewer")["items"]}
    assert len(rows) == len(api) == RECOMMENDATIONS
    assert {r["id"] for r in rows} == set(api)
    for row in rows[:50]:
        assert float(row["projected_savings_per_month"]) == api[row["id"]]["projected_savings_per_month"]
        assert row["status"] == api[row["id"]]["status"]
    session.page.get_by_label("Kind").select_option("spot")
    with session.page.expect_download() as filtered:
        session.page.get_by_role("button", name="Export CSV").click()
    spot = list(csv.DictReader(io.StringIO(filtered.value.path().read_text(encoding="utf-8"))))
    assert spot and {r["kind"] for r in spot} == {"spot"}
    assert len(spot) == sum(1 for r in api.values() if r["kind"] == "spot")


def test_audit_search_and_pages(signed_in: Callable[[str], Session]) -> None:
    session = signed_in("viewer")
    session.open("audit")
    page = session.page
    newest = session.served.api("/v1/audit?limit=1000", "viewer")["items"]
    assert len(newest) > 25
    first = [int(s) for s in page.locator("tr[data-seq]").evaluate_all("rows => rows.map(r => r.dataset.seq)")]
    assert first == [e["seq"] for e in newest[:25]]
    page.get_by_role("button", name="Next page").click()
    page.get_by_text("Page 2:").wait_for()
    second = [int(s) for s in page.locator("tr[data-seq]").evaluate_all("rows => rows.map(r => r.dataset.seq)")]
    assert second == [e["seq"] for e in newest[25:50]]
    page.get_by_role("button", name="Previous page").click()
    page.get_by_text("Page 1:").wait_for()
    action = next(e["action"] for e in newest if e["action"] != newest[0]["action"])
    page.get_by_label("Action").fill(action)
    page.get_by_role("button", name="Search").click()
    same = """a => { const cells = [...document.querySelectorAll('tr[data-seq] td:nth-child(4)')];
                     return cells.length > 0 && cells.every(c => c.textContent === a); }"""
    page.wait_for_function(same, arg=action)
    matching = session.served.api(f"/v1/audit?action={action}&limit=25", "viewer")["items"]
    assert page.locator("tr[data-seq]").count() == len(matching) > 0
    page.get_by_role("button", name="Check chain links").click()
    assert page.locator("[data-verification=linked]").inner_text().startswith("Chain intact")
    assert session.unexpected() == []


def test_schedule_grid_edit_round_trips_through_the_api_with_if_match(signed_in: Callable[[str], Session]) -> None:
    session = signed_in("admin")
    session.open("schedules")
    page, cluster = session.page, "prod-eu"
    page.get_by_label("Cluster").select_option(cluster)
    before = session.served.api(f"/v1/clusters/{cluster}/hibernation")
    for hour in range(24):  # Sunday asleep all day
        page.locator(f"button[data-day=sun][data-hour='{hour}']").click()
    for hour in range(0, 7):  # Monday asleep before 07:00
        page.locator(f"button[data-day=mon][data-hour='{hour}']").click()
    page.get_by_label("Holiday").fill("2026-12-25")
    page.get_by_role("button", name="Add holiday").click()
    page.get_by_role("button", name="Save schedule").click()
    page.get_by_text("Schedule saved").wait_for()
    after = session.served.api(f"/v1/clusters/{cluster}/hibernation")
    assert after["schedule_version"] == before["schedule_version"] + 1
    assert after["schedule"]["awake"]["sun"] == []
    assert after["schedule"]["awake"]["mon"] == [["07:00", "24:00"]]
    assert after["schedule"]["holidays"] == ["2026-12-25"]
    page.locator("table.transitions tbody tr").first.wait_for()
    # someone else saves meanwhile: the page's If-Match is stale, the API refuses, the page says so and reloads
    world = session.served.world
    headers = world.headers(TENANT, "admin", **{"If-Match": f'"{after["schedule_version"]}"'})
    body = {**after["schedule"], "prewarm_minutes": 15}
    answer = world.client.put(f"/v1/clusters/{cluster}/hibernation/schedule", json=body, headers=headers)
    assert answer.status_code == 200
    page.locator("button[data-day=tue][data-hour='3']").click()
    page.get_by_role("button", name="Save schedule").click()
    page.get_by_text("Someone changed this schedule meanwhile").wait_for()
    assert session.served.api(f"/v1/clusters/{cluster}/hibernation")["schedule"]["prewarm_minutes"] == 15
    session.expected_failures.add(f"/v1/clusters/{cluster}/hibernation/schedule")
    assert session.failed_calls == [f"412 /v1/clusters/{cluster}/hibernation/schedule"]
