"""Browser fixtures: one served world and one headless Chromium (Debian's package, through executable_path) for the
whole module set; a fresh browser context per test, signed in as a role through `/#token=`, that records console
errors and failed API calls so every test can assert there were none."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Response, sync_playwright

from tests.browser.world import Served, serve

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_URL = "/__test__/axe.min.js"  # served by route interception, so the page's CSP ('self') admits it


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = serve(tmp_path_factory.mktemp("dashboard"))
    yield running
    running.server.stop()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
    yield launched
    launched.close()


@dataclass
class Session:
    page: Page
    served: Served
    console_errors: list[str] = field(default_factory=list)
    failed_calls: list[str] = field(default_factory=list)
    expected_failures: set[str] = field(default_factory=set)  # paths whose 4xx the page is meant to absorb

    def open(self, page: str) -> None:
        self.page.goto(f"{self.served.url}/#/{page}")
        self.settled()

    def settled(self) -> None:
        """The page's heading is there and nothing is loading any more."""
        self.page.locator("main h1").wait_for()
        self.page.locator(".loading").first.wait_for(state="detached")

    def unexpected(self) -> list[str]:
        calls = [c for c in self.failed_calls if not any(c.endswith(" " + p) for p in self.expected_failures)]
        errors = [e for e in self.console_errors if not any(p in e for p in self.expected_failures)]
        return calls + errors

    def axe(self) -> list[str]:
        """Serious and critical axe-core violations of the page as it is now, one line each."""
        if not self.page.evaluate("() => Boolean(window.axe)"):
            self.page.add_script_tag(url=self.served.url + AXE_URL)
        found = self.page.evaluate("async () => (await axe.run(document)).violations")
        return [f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}" for v in found
                if v["impact"] in ("serious", "critical")]  # fmt: skip


@pytest.fixture
def signed_in(browser: Browser, served: Served) -> Iterator[Callable[[str], Session]]:
    contexts = []

    def open_as(role: str) -> Session:
        context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
        contexts.append(context)
        context.route(f"**{AXE_URL}", lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
        session = Session(context.new_page(), served)
        session.page.on("console", lambda m: _console(session, m))
        session.page.on("pageerror", lambda e: session.console_errors.append(f"pageerror: {e}"))
        session.page.on("response", lambda r: _response(session, r))
        session.page.goto(f"{served.url}/#token={served.token(role)}")
        session.settled()
        return session

    yield open_as
    for context in contexts:
        context.close()


def _console(session: Session, message: ConsoleMessage) -> None:
    if message.type == "error":
        session.console_errors.append(f"{message.text} @ {message.location.get('url', '')}")


def _response(session: Session, response: Response) -> None:
    if response.status >= 400:
        path = response.url.split("//", 1)[-1].split("/", 1)[-1].split("?")[0]
        session.failed_calls.append(f"{response.status} /{path}")
