"""Notifications end to end on the local stack: settings saved through the API (the URL into Secrets Manager in
moto), the weekly summary composed from the stored sweep into the file outbox once per week, and four alerts
(safe mode on and off through the API, a pool escalation and a failed Execute workflow put on the bus) matched by
the deployed rules and posted by the deployed `notify_event` to a receiver on 127.0.0.1, a redelivery posting
nothing."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

from cloudoptim.settings import WeeklySummarySettings
from cloudoptim.tenancy.tenants import safe_mode
from cloudoptim.wiring.notifications import weekly_deps
from localmode.notify import RECIPIENT, NotifyDrill
from localmode.stack import LocalStack


def test_the_weekly_email_and_the_alerts_travel_the_deployed_path(local_stack: LocalStack, tmp_path: Path) -> None:
    report = NotifyDrill(local_stack, tmp_path, hours=100).run()
    assert local_stack.deployed is not None and local_stack.tenant is not None
    tenant = local_stack.tenant.tenant_id

    weekly = report["weekly"]
    assert (weekly["outcome"], weekly["again"]) == ("sent", "duplicate")
    mail = BytesParser(policy=policy.default).parsebytes(Path(weekly["outbox"]).read_bytes())
    assert mail["To"] == RECIPIENT and mail["Subject"] == weekly["subject"] and weekly["week"] in weekly["subject"]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Top recommendations (" in text and "Current spend: $" in text and "<h2>Top recommendations" in html
    assert report["recommendations"] > 0 and "none" not in text.split("Top recommendations", 1)[1].split("\n\n")[0]

    assert report["webhook_posts"] == 4 and report["duplicate_delivery"] == "duplicate"
    first, pool, failed, last = report["alerts"]
    assert first.startswith("Safe mode switched on") and last.startswith("Safe mode switched off")
    assert "confirmed risky" in pool and failed.startswith(f"Execution failed on cluster {local_stack.tenant.cluster}")

    hook = report["settings"]["webhook"]
    assert hook == {"kind": "slack", "host": "127.0.0.1"} and "hooks/demo" not in json.dumps(report)
    secret = local_stack.aws.client("secretsmanager").get_secret_value(SecretId=f"cloudoptim/{tenant}/webhook")
    assert secret["SecretString"].startswith("http://127.0.0.1:") and secret["SecretString"].endswith("/hooks/demo")
    env = {**local_stack.deployed.function_env["weekly_summary"], "AWS_REGION": local_stack.aws.region}
    assert safe_mode(weekly_deps(WeeklySummarySettings.from_env(env)).documents, tenant) is False  # restored
