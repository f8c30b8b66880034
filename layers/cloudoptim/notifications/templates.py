"""What is sent: the weekly email (subject, plain text, HTML) and an alert as a Slack Block Kit message or a
generic JSON body. Every name that came from a customer's cluster is escaped for where it lands: HTML entities in
the HTML part, Slack's three control characters (& < >) in mrkdwn, control characters out of the subject (a
newline there would start a header of its own).

>>> slack_text("<!channel> & co")
'&lt;!channel&gt; &amp; co'
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloudoptim.notifications.alerts import Alert
from cloudoptim.notifications.summary import WeeklySummary, day, money

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
SLACK_SECTION_LIMIT = 3000  # Block Kit refuses longer texts
SLACK_HEADER_LIMIT = 150


@dataclass(frozen=True, slots=True)
class Email:
    subject: str
    text: str
    html: str


def one_line(value: str, limit: int = 200) -> str:
    flat = _CONTROL.sub(" ", value).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def slack_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rows(summary: WeeklySummary) -> dict[str, list[list[str]]]:
    """The email's tables once, as text cells; each renderer escapes them for its format."""
    s = summary.savings
    return {
        "Savings (per month)": [
            ["Current spend", summary.monthly(s.current_cost_per_hour)],
            ["Projected savings (open recommendations)", summary.monthly(s.projected_savings_per_hour)],
            ["Realised savings (measured after executions)", summary.monthly(s.realised_savings_per_hour)],
        ],
        f"Top recommendations ({summary.open_recommendations} open)": [
            [f"{r.cluster}: {r.title} [{r.kind}, {r.status}]", summary.monthly(r.projected_savings_per_hour)]
            for r in summary.top_recommendations
        ],
        f"Executions this week ({len(summary.executions)})": [
            [f"{e.cluster}: {e.kind} {e.id}" + (f" ({e.reason})" if e.reason else ""), e.status]
            for e in summary.executions
        ],
        f"Waste ({summary.waste_findings} findings, {money(summary.monthly_waste)} per month)": [
            [f"{w.kind} {w.resource_id} ({w.account_region})", money(w.monthly_cost)] for w in summary.top_waste
        ],
    }


def _period(summary: WeeklySummary) -> str:
    return f"{summary.week} ({day(summary.period_start)} to {day(summary.period_end)})"


def email(summary: WeeklySummary) -> Email:
    s = summary.savings
    subject = one_line(
        f"CloudOptim {summary.week} for {summary.tenant}: {summary.monthly(s.projected_savings_per_hour)}/month "
        f"projected, {summary.monthly(s.realised_savings_per_hour)}/month realised"
    )
    return Email(subject, _text(summary), _html(summary))


def _text(summary: WeeklySummary) -> str:
    lines = [f"CloudOptim weekly summary for {summary.tenant}, {_period(summary)}"]
    if summary.empty:
        lines += ["", "A quiet week: no open recommendations, no executions and no waste found."]
    for title, rows in _rows(summary).items():
        lines += ["", title, "-" * len(title)]
        lines += [f"  {_CONTROL.sub(' ', cells[0])}: {cells[1]}" for cells in rows] or ["  none"]
    lines += ["", *summary.notes, "Savings: $/month = $/h x 730. Approve or reject in the console."]
    return "\n".join(lines).rstrip() + "\n"


def _html(summary: WeeklySummary) -> str:
    e = html.escape
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>CloudOptim weekly summary</title></head><body>',
        f"<h1>CloudOptim weekly summary for {e(summary.tenant)}</h1><p>{e(_period(summary))}</p>",
    ]
    if summary.empty:
        parts.append("<p>A quiet week: no open recommendations, no executions and no waste found.</p>")
    for title, rows in _rows(summary).items():
        parts.append(f"<h2>{e(title)}</h2>")
        if not rows:
            parts.append("<p>none</p>")
            continue
        body = "".join(f'<tr><td>{e(a)}</td><td style="text-align:right">{e(b)}</td></tr>' for a, b in rows)
        parts.append(f"<table>{body}</table>")
    parts += [f"<p>{e(note)}</p>" for note in summary.notes]
    parts.append("<p>Savings: $/month = $/h x 730. Approve or reject in the console.</p></body></html>")
    return "".join(parts)


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def slack(alert: Alert) -> dict[str, Any]:
    """A Block Kit message: a plain-text header (Slack escapes nothing there) and one mrkdwn section of facts."""
    facts = "\n".join(f"*{slack_text(k)}:* {slack_text(v)}" for k, v in alert.facts)
    return {
        "text": one_line(alert.title, SLACK_HEADER_LIMIT),  # notifications and clients without blocks
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": one_line(alert.title, SLACK_HEADER_LIMIT)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": facts[:SLACK_SECTION_LIMIT] or "-"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"CloudOptim · {_iso(alert.occurred_at)}"}]},
        ],
    }


def generic(alert: Alert) -> dict[str, Any]:
    """A JSON body for any receiver: values as they are (JSON escapes them), the key to de-duplicate on."""
    return {
        "source": "cloudoptim",
        "type": alert.kind.value,
        "id": alert.key,
        "tenant": alert.tenant,
        "title": alert.title,
        "occurred_at": _iso(alert.occurred_at),
        "facts": [{"name": k, "value": v} for k, v in alert.facts],
    }
