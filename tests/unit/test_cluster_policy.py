"""Cluster policies: defaults deny automation outside windows; validation names the field; windows in time zones."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cloudoptim.errors import FieldError
from cloudoptim.tenancy.policies import parse
from cloudoptim.tenancy.policy import ClusterPolicy


def epoch(text: str, zone: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp())


def test_defaults_recommend_everything_and_open_no_window() -> None:
    policy = ClusterPolicy()
    assert set(policy.automation.model_dump().values()) == {"recommend"}
    assert not policy.windows_open_at(epoch("2026-03-03T23:00", "UTC"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"automation": {"spot": "always"}}, "automation.spot"),
        ({"maintenance_windows": {"timezone": "Mars/Base"}}, "maintenance_windows.timezone"),
        (
            {"maintenance_windows": {"windows": [{"days": ["mon"], "start": "25:00", "end": "06:00"}]}},
            "maintenance_windows.windows.0.start",
        ),
        (
            {"maintenance_windows": {"windows": [{"days": [], "start": "01:00", "end": "06:00"}]}},
            "maintenance_windows.windows.0.days",
        ),
        ({"disruption_budget": {"max_nodes": "150%"}}, "disruption_budget.max_nodes"),
        ({"node_templates": {"allowed_families": ["M5!"]}}, "node_templates.allowed_families"),
        ({"node_templates": {"allowed_families": ["m5"], "blocked_families": ["m5"]}}, "node_templates"),
        ({"exclusions": {"namespaces": ["Not_A_Namespace"]}}, "exclusions.namespaces"),
        ({"consolidation": {"min_savings_share": 2}}, "consolidation.min_savings_share"),
        ({"spot": {"max_risk": -0.1}}, "spot.max_risk"),
        ({"automatic": {}}, "automatic"),
    ],
)
def test_a_bad_field_is_named(body: dict[str, object], field: str) -> None:
    with pytest.raises(FieldError) as raised:
        parse(body)
    assert raised.value.field == field


def test_a_window_past_midnight_in_the_tenants_time_zone() -> None:
    policy = parse(
        {
            "maintenance_windows": {
                "timezone": "Europe/Dublin",
                "windows": [{"days": ["fri"], "start": "22:00", "end": "04:00"}],
            }
        }
    )
    assert policy.windows_open_at(epoch("2026-07-10T23:30", "Europe/Dublin"))  # Friday night
    assert policy.windows_open_at(epoch("2026-07-11T03:59", "Europe/Dublin"))  # early Saturday, same window
    assert not policy.windows_open_at(epoch("2026-07-11T04:00", "Europe/Dublin"))
    assert not policy.windows_open_at(epoch("2026-07-09T23:30", "Europe/Dublin"))  # Thursday
    # 22:30 local in summer is 21:30 UTC: the zone, not UTC, decides
    assert policy.windows_open_at(epoch("2026-07-10T21:30", "UTC"))


def test_windows_follow_daylight_saving_changes() -> None:
    policy = parse(
        {
            "maintenance_windows": {
                "timezone": "America/New_York",
                "windows": [{"days": ["sun"], "start": "01:00", "end": "05:00"}],
            }
        }
    )
    # 2026-03-08: at 02:00 EST clocks jump to 03:00 EDT (UTC-5 -> UTC-4)
    assert policy.windows_open_at(epoch("2026-03-08T06:30", "UTC"))  # 01:30 EST
    assert policy.windows_open_at(epoch("2026-03-08T08:30", "UTC"))  # 04:30 EDT (05:30 had it stayed EST)
    assert not policy.windows_open_at(epoch("2026-03-08T09:30", "UTC"))  # 05:30 EDT
