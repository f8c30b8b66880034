"""The dashboard's load-to-interactive on the local stack (moto's DynamoDB behind the real API app, uvicorn) with
1,000 recommendations of tenant `demo`, driven by Debian's chromium.

Usage: `.venv/bin/python scripts/dashboard_local_load.py [--runs 5] [--port 8097]`. Prints JSON: per page, the
median milliseconds from navigation start to the page's data rendered, measured in the browser (performance.now()).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers")]

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from cloudoptim.settings import RegistrySettings  # noqa: E402
from cloudoptim.wiring.tenancy import documents  # noqa: E402
from localmode.api import LocalApiServer, local_app, token  # noqa: E402
from localmode.stack import LocalSettings, LocalStack  # noqa: E402
from tests.support.optimization import planned_sweep  # noqa: E402

RECOMMENDATIONS = 1000
KINDS = ("consolidation", "node_rightsizing", "workload_rightsizing", "spot", "oom")
READY = {
    "overview": "() => document.querySelectorAll('[data-figure]').length > 6 && !document.querySelector('.loading')",
    "recommendations": f"() => document.querySelectorAll('td[data-savings]').length === {RECOMMENDATIONS}",
}


def interactive_ms(page: Page, name: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        page.reload()
        page.wait_for_function(READY[name], polling=20, timeout=120_000)
        times.append(float(page.evaluate("() => performance.now()")))
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=8097)
    args = parser.parse_args()
    stack = LocalStack(LocalSettings(tenant_id="demo", log_level="ERROR", metrics=False))
    stack.start()
    server = None
    try:
        assert stack.deployed is not None and stack.tenant is not None
        tables = stack.deployed.tables
        env = {"REGISTRY_TABLE": tables["REGISTRY_TABLE"], "AWS_REGION": stack.aws.region,
               "AWS_ENDPOINT_URL": stack.aws.endpoint_url}  # fmt: skip
        settings = RegistrySettings.from_env(env)
        # one planned sweep (the Overview's figures come from it) holding the first recommendation; 999 more below
        planned_sweep(
            documents(settings), "demo", stack.tenant.cluster, int(time.time()), {"consolidation": 0.5}, 500.0
        )
        many = {f"k{i}": 0.01 + (i % 97) / 100 for i in range(RECOMMENDATIONS - 1)}
        _many(documents(settings), stack.tenant.cluster, many)
        app = local_app(tables, stack.aws.endpoint_url, stack.aws.region, args.port,
                        stack.deployed.function_env.get("api"))  # fmt: skip
        server = LocalApiServer(app, args.port)
        url = server.start()
        found: dict[str, float] = {}
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{url}/#token={token('demo', 'admin')}")
            for name in READY:
                page.goto(f"{url}/#/{name}")
                found[name] = interactive_ms(page, name, args.runs)
            browser.close()
        print(json.dumps({"median_ms_to_interactive": found, "recommendations": RECOMMENDATIONS, "runs": args.runs}))
    finally:
        if server is not None:
            server.stop()
        stack.stop()


def _many(docs: object, cluster: str, savings: dict[str, float]) -> None:
    """The other 999 recommendations, of every kind, in a second sweep of the same cluster."""
    from cloudoptim.optimization.records import RECOMMENDATION_TTL_SECONDS, Recommendation

    now = int(time.time()) + 1
    sweep = f"{cluster}.bulk"
    for index, (name, saving) in enumerate(savings.items()):
        kind = KINDS[index % len(KINDS)]
        body = Recommendation(
            cluster=cluster, kind=kind, title=f"{kind} {name}", current="2 nodes", recommended="1 node",
            projected_savings_per_hour=saving, cost_before_per_hour=1.0, reasons=[f"saves ${saving}/h"],
            sweep_id=sweep, discovery_run=f"{cluster}.run", expires_at=now + RECOMMENDATION_TTL_SECONDS,
        )  # fmt: skip
        docs.create("demo", "recommendation", f"{sweep}.{index:04d}", body.model_dump(), now)  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
