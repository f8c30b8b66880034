"""Screenshots of the dashboard for docs/dashboard/ and its load-to-interactive time with 1,000 recommendations.

Serves the browser tests' world (the API app over in-memory fakes, tests/browser/world.py) and drives Debian's
chromium. Usage: `.venv/bin/python scripts/dashboard_screenshots.py [--out docs/dashboard] [--runs 5]`. Prints JSON:
per page, the median milliseconds from navigation start to the page's data rendered (1,000 rows on
Recommendations), measured in the browser with performance.now().
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.browser.world import RECOMMENDATIONS, serve

READY = {
    "overview": "() => document.querySelectorAll('[data-figure]').length > 6 && !document.querySelector('.loading')",
    "recommendations": f"() => document.querySelectorAll('td[data-savings]').length === {RECOMMENDATIONS}",
}


def interactive_ms(page: Page, name: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        page.reload()
        page.wait_for_function(READY[name], polling=20)
        times.append(float(page.evaluate("() => performance.now()")))
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/dashboard"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    served = serve(Path(tempfile.mkdtemp()))
    found: dict[str, float] = {}
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{served.url}/#token={served.token('admin')}")
            for name in READY:
                page.goto(f"{served.url}/#/{name}")
                found[name] = interactive_ms(page, name, args.runs)
                page.screenshot(path=str(args.out / f"{name}.png"))
            browser.close()
    finally:
        served.server.stop()
    print(json.dumps({"median_ms_to_interactive": found, "recommendations": RECOMMENDATIONS, "runs": args.runs}))


if __name__ == "__main__":
    main()
