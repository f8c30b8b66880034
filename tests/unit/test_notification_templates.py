"""The weekly email and the alert payloads: golden files for a known week, hostile names escaped for each format,
an empty week said in words, money to the cent."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudoptim.notifications import templates
from cloudoptim.notifications.alerts import Alert, AlertKind
from cloudoptim.notifications.summary import (
    ExecutionLine,
    RecommendationLine,
    Savings,
    WasteLine,
    compose,
    money,
)

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "notifications"
NOW = 1_764_979_200  # 2025-12-06T00:00:00Z, ISO week 49
HOSTILE = '<script>alert("x")</script> & <!channel> \r\nBcc: evil@example.com'


def week(title: str = "delete 3 nodes") -> object:
    recommendations = [
        RecommendationLine("r-1", "prod", "consolidation", title, "open", 1.25),
        RecommendationLine("r-2", "prod", "spot", "move web to Spot", "approved", 0.5),
        RecommendationLine("r-3", "dev", "workload_rightsizing", "api: cpu 2 -> 0.5", "open", 0.5),
    ]
    executions = [
        ExecutionLine("r-9.x1", "prod", "spot", "succeeded", NOW - 3600, 0.4),
        ExecutionLine("r-8.x1", "prod", "consolidation", "failed", NOW - 7200, None, "a step failed: NodeNotReady"),
        ExecutionLine("r-7.x1", "prod", "spot", "succeeded", NOW - 8 * 86400, 0.2),  # last week: left out
    ]
    waste = [WasteLine("zombie_volume", "vol-1", "111122223333/eu-west-1", 8.0)]
    return compose("acme", NOW, Savings(10.0, 2.25, 0.4), recommendations, executions, waste)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed: review and rerun with UPDATE_GOLDEN=1"


def test_the_weekly_email_matches_its_golden_files() -> None:
    mail = templates.email(week())  # type: ignore[arg-type]
    assert mail.subject == "CloudOptim 2025-W49 for acme: $1,642.50/month projected, $292.00/month realised"
    _golden("weekly.txt", mail.text)
    _golden("weekly.html", mail.html)


def test_the_week_keeps_its_own_executions_and_ranks_recommendations_by_saving() -> None:
    summary = week()
    assert [e.id for e in summary.executions] == ["r-8.x1", "r-9.x1"]  # type: ignore[attr-defined]
    assert [r.id for r in summary.top_recommendations] == ["r-1", "r-2", "r-3"]  # type: ignore[attr-defined]
    assert summary.executions_by_status() == {"failed": 1, "succeeded": 1}  # type: ignore[attr-defined]


def test_hostile_names_are_escaped_in_html_and_flattened_in_text_and_subject() -> None:
    summary = compose("acme", NOW, Savings(), [RecommendationLine("r", HOSTILE, "spot", HOSTILE, "open", 1.0)], [], [])
    mail = templates.email(summary)
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html and "&lt;!channel&gt;" in mail.html
    assert "\r" not in mail.text and "\nBcc:" not in mail.text
    assert "\n" not in mail.subject and "\r" not in mail.subject


def test_an_empty_week_says_so() -> None:
    summary = compose("acme", NOW, Savings(), [], [], [])
    assert summary.empty
    mail = templates.email(summary)
    assert "A quiet week" in mail.text and "A quiet week" in mail.html
    assert "$0.00/month projected" in mail.subject


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(0, "$0.00"), (0.004, "$0.00"), (-0.004, "$0.00"), (1234567.891, "$1,234,567.89"), (-12.5, "-$12.50")],
)
def test_money_is_shown_to_the_cent_with_thousands(amount: float, shown: str) -> None:
    assert money(amount) == shown


def _alert(name: str) -> Alert:
    facts = (("Cluster", name), ("Why", "NodeNotReady"))
    return Alert("k-1", "acme", AlertKind.EXECUTION_FAILED, f"Execution failed on {name}", facts, NOW)


def test_the_slack_message_is_block_kit_with_names_escaped() -> None:
    message = templates.slack(_alert(HOSTILE))
    assert [b["type"] for b in message["blocks"]] == ["header", "section", "context"]
    section = message["blocks"][1]["text"]["text"]
    assert "<!channel>" not in section and "&lt;!channel&gt;" in section and "&amp;" in section
    header = message["blocks"][0]["text"]
    assert header["type"] == "plain_text" and "\n" not in header["text"] and len(header["text"]) <= 150


def test_the_generic_body_carries_the_key_to_deduplicate_on() -> None:
    body = templates.generic(_alert("prod"))
    assert body == {
        "source": "cloudoptim", "type": "execution_failed", "id": "k-1", "tenant": "acme",
        "title": "Execution failed on prod", "occurred_at": "2025-12-06T00:00:00Z",
        "facts": [{"name": "Cluster", "value": "prod"}, {"name": "Why", "value": "NodeNotReady"}],
    }  # fmt: skip
    json.dumps(body)


@given(st.text(max_size=300))
def test_no_name_can_open_a_tag_or_a_slack_mention(name: str) -> None:
    line = RecommendationLine("r", name, "spot", name, "open", 1)
    mail = templates.email(compose("acme", NOW, Savings(), [line], [], []))
    body = mail.html.split("<h2>", 1)[1]
    stripped = body.replace("<h2>", "").replace("</h2>", "").replace("<table>", "").replace("</table>", "")
    for tag in ("<tr>", "</tr>", "<td>", '<td style="text-align:right">', "</td>", "<p>", "</p>", "</body>", "</html>"):
        stripped = stripped.replace(tag, "")
    assert "<" not in stripped
    section = templates.slack(_alert(name))["blocks"][1]["text"]["text"]
    assert "<" not in section and ">" not in section
    assert "\n" not in mail.subject and "\r" not in templates.slack(_alert(name))["text"]


lines = st.builds(
    RecommendationLine, st.text(min_size=1, max_size=8), st.just("prod"), st.sampled_from(["spot", "oom"]),
    st.text(max_size=20), st.just("open"), st.floats(0, 1000, allow_nan=False),
)  # fmt: skip
runs = st.builds(
    ExecutionLine, st.text(min_size=1, max_size=8), st.just("prod"), st.just("spot"),
    st.sampled_from(["succeeded", "failed"]), st.integers(NOW - 30 * 86400, NOW + 86400),
)  # fmt: skip


@given(st.lists(lines, max_size=30), st.lists(runs, max_size=30))
def test_the_summary_keeps_the_best_five_and_only_the_weeks_executions(
    recommendations: list[RecommendationLine], executions: list[ExecutionLine]
) -> None:
    summary = compose("acme", NOW, Savings(), recommendations, executions, [])
    assert summary.open_recommendations == len(recommendations)
    kept = [r.projected_savings_per_hour for r in summary.top_recommendations]
    assert kept == sorted((r.projected_savings_per_hour for r in recommendations), reverse=True)[:5]
    assert all(NOW - 7 * 86400 <= e.started_at < NOW for e in summary.executions)
    assert len(summary.executions) == sum(NOW - 7 * 86400 <= e.started_at < NOW for e in executions)
