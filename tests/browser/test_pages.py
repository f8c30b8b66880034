"""Every page of the dashboard in headless Chromium: reached from the navigation bar, loaded with no console error
and no failed API call, no serious or critical axe-core violation; Overview's figures are GET /v1/savings's."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import Session

pytestmark = pytest.mark.browser
PAGES = {
    "overview": "Overview",
    "recommendations": "Recommendations",
    "clusters": "Clusters",
    "hive-mind": "Hive mind",
    "schedules": "Schedules",
    "audit": "Audit",
    "settings": "Settings",
}
HIVE_MIND = "/v1/hive-mind"


def test_the_navigation_bar_reaches_every_page(signed_in: Callable[[str], Session]) -> None:
    session = signed_in("admin")
    session.expected_failures.add(HIVE_MIND)
    nav = session.page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link").all_inner_texts() == list(PAGES.values())
    for name in PAGES.values():
        nav.get_by_role("link", name=name, exact=True).click()
        session.settled()
        assert session.page.locator("main h1").inner_text() == name
        assert nav.locator("[aria-current=page]").inner_text() == name
    assert session.unexpected() == []


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_each_page_loads_cleanly_and_passes_axe(signed_in: Callable[[str], Session], page: str, role: str) -> None:
    session = signed_in(role)
    session.expected_failures.add(HIVE_MIND)
    session.open(page)
    assert session.page.locator("main h1").inner_text() == PAGES[page]
    assert session.page.locator("main .error").count() == 0
    violations = session.axe()
    print(f"axe {page} as {role}: {len(violations)} serious/critical violation(s)")
    assert violations == []
    assert session.unexpected() == []


def _figures(api: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in api.items() if isinstance(v, float | int)}
    for kind, line in api["by_capability"].items():
        flat.update({f"by_capability.{kind}.{k}": v for k, v in line.items() if k != "recommendations"})
    return flat


def test_overview_shows_the_savings_of_the_api_to_the_cent(signed_in: Callable[[str], Session]) -> None:
    session = signed_in("viewer")
    api = session.served.api("/v1/savings", "viewer")
    expected = _figures(api)
    shown = session.page.locator("[data-figure]")
    assert shown.count() == len(expected) > 6
    for index in range(shown.count()):
        figure = shown.nth(index)
        name = figure.get_attribute("data-figure") or ""
        text = figure.inner_text().strip().lstrip("$").replace(",", "")
        places = Decimal("0.01") if name.endswith("per_month") else Decimal("0.0001")
        assert Decimal(text) == Decimal(str(expected[name])).quantize(places), name
        assert Decimal(text).quantize(Decimal("0.01")) == Decimal(str(expected[name])).quantize(Decimal("0.01"))
        formula = figure.get_attribute("title") or ""
        assert "=" in formula and ("× 730" in formula or name.endswith("per_hour")), (name, formula)
    assert api["current_cost_per_hour"] > 0 and api["projected_savings_per_hour"] > 0
    assert session.page.get_by_role("img", name="Cost per hour at each sweep").count() == 1
    assert session.unexpected() == []


def test_hive_mind_without_the_route_says_it_is_unavailable(signed_in: Callable[[str], Session]) -> None:
    session = signed_in("viewer")
    session.expected_failures.add(HIVE_MIND)
    session.page.route("**/v1/hive-mind*", lambda route: route.fulfill(status=404, body="{}"))
    session.open("hive-mind")
    assert session.page.locator("[data-state=unavailable]").is_visible()
    assert session.failed_calls == [f"404 {HIVE_MIND}"]


def test_hive_mind_with_no_interruption_says_so(signed_in: Callable[[str], Session]) -> None:
    session = signed_in("viewer")  # the app's hive mind is wired and holds nothing
    session.open("hive-mind")
    assert session.page.locator("[data-state=empty]").is_visible()
    assert session.unexpected() == []


def _pool(pool: str, level: str, customers: int, yours: bool) -> dict[str, object]:
    region, az_id, instance_type = pool.split("#")
    return {"pool": pool, "region": region, "az_id": az_id, "instance_type": instance_type, "level": level,
            "expires_at": "2026-06-01T00:00:00Z",
            "evidence": {"customers": customers, "interruptions": customers + 1, "flags": 1, "window_minutes": 60},
            "risk_bump": 0.2 if customers >= 3 else 0.1, "excluded_for_you": yours, "your_risk_bump": 0.0,
            "yours": yours, "reason": f"{customers} customer(s) interrupted here in the last 60 minutes"}  # fmt: skip


def test_hive_mind_lists_flagged_pools_by_region_and_zone_over_every_page(
    signed_in: Callable[[str], Session],
) -> None:
    session = signed_in("viewer")
    pages = {
        None: {"items": [_pool("eu-west-1#euw1-az2#m5.large", "CONFIRMED_RISKY", 3, True)], "next_cursor": "p2"},
        "p2": {"items": [_pool("us-east-1#use1-az4#c6i.xlarge", "UNCERTAIN", 2, False)], "next_cursor": None},
    }

    def answer(route: Any) -> None:
        cursor = parse_qs(urlparse(route.request.url).query).get("cursor", [None])[0]
        route.fulfill(body=json.dumps(pages[cursor]), content_type="application/json")

    session.page.route("**/v1/hive-mind*", answer)
    session.open("hive-mind")
    assert session.page.get_by_role("heading", level=2).all_inner_texts() == ["eu-west-1", "us-east-1"]
    row = session.page.locator("tr[data-pool='eu-west-1#euw1-az2#m5.large']")
    cells = ["euw1-az2", "eu-west-1#euw1-az2#m5.large", "m5.large", "CONFIRMED RISKY", "2026-06-01 00:00:00 UTC", "yes"]
    assert row.locator("td").all_inner_texts()[:6] == cells
    row.get_by_text("3 customer(s), 4 interruption(s)").click()
    assert "excluded for you" in row.inner_text()
    assert session.axe() == []
    assert session.unexpected() == []


def test_the_axe_check_fails_on_a_planted_violation(signed_in: Callable[[str], Session]) -> None:
    """The scan is live: an unlabelled button and an image with no text are reported as critical."""
    session = signed_in("viewer")
    session.page.evaluate("""() => document.querySelector('main').insertAdjacentHTML('beforeend',
        '<button type="button"></button><img src="data:,">')""")
    found = session.axe()
    assert any(v.startswith("button-name (critical)") for v in found), found
    assert any(v.startswith("image-alt (critical)") for v in found), found


def test_no_token_shows_the_sign_in_page_and_a_bad_token_is_refused(signed_in: Callable[[str], Session]) -> None:
    session = signed_in("viewer")
    page = session.page
    page.evaluate("() => sessionStorage.clear()")
    page.reload()
    page.get_by_role("heading", name="Sign in to CloudOptim").wait_for()
    assert page.get_by_role("navigation", name="Main").count() == 0
    page.get_by_label("Token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    assert "token" in page.get_by_role("alert").inner_text().lower()
    assert page.get_by_role("navigation", name="Main").count() == 0
