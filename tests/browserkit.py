"""What every browser test shares: Debian's Chromium with the flags this machine needs, one browser
per test session (each xdist worker is a session), a fresh context per test, and a quiet static file
server for a built site."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def require_chromium() -> None:
    """Skip the calling test module without Chromium; in CI its absence is an error."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError("chromium is required in CI: scripts/ensure-browser should have installed it")
        pytest.skip("chromium is not installed (scripts/ensure-browser installs it as root)", allow_module_level=True)


SEARCH_INDEX = "/search/search_index.json"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class EmptySearchIndexHandler(QuietHandler):
    """Serves the search index with its configuration but no documents: the theme's search worker
    then builds an empty index instead of a full one on every page load (a fifth of the browser's
    work, and nothing a layout check sees). An index that fails to load would break the theme's
    other scripts, the palette toggle among them."""

    def send_head(self) -> Any:
        if not self.path.split("?")[0].endswith(SEARCH_INDEX):
            return super().send_head()
        index = json.loads((Path(self.directory) / SEARCH_INDEX.lstrip("/")).read_text("utf-8"))
        body = json.dumps({**index, "docs": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def serving(folder: Path, *, search: bool = True) -> Iterator[str]:
    """A static server on loopback for folder, for as long as the block runs; yields its base URL.
    With search=False it serves an empty search index (for tests that check layout, not search)."""
    handler = QuietHandler if search else EmptySearchIndexHandler
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session: starting it costs more than most browser tests. Tests
    stay apart through a context of their own (cookies, storage, viewport), see new_page."""
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def new_page(browser: Browser, **options: Any) -> tuple[BrowserContext, Page]:
    """A page in a fresh context: (context, page); the caller closes the context."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page at 1280x900 in a context of its own, closed after the test."""
    context, page = new_page(browser)
    yield page
    context.close()


def axe_violations(page: Page, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now. axe is injected once per loaded document:
    axe-playwright-python's Axe.run sends its 570 kB script again on every run."""
    from axe_playwright_python.base import AXE_SCRIPT

    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    results: dict[str, list[dict[str, Any]]] = page.evaluate(
        "options => axe.run(options)", {"resultTypes": ["violations"], **(options or {})}
    )
    return results["violations"]
