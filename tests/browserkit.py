"""What every browser test shares: Debian's Chromium with the flags this machine needs, one browser
per test session (each xdist worker is a session), a fresh page per test, and a quiet static file
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
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

# Debian's build of Chromium's old headless mode, which Playwright itself runs for headless tests: the
# same Blink as the full browser, with a quarter less CPU a page load and a resize. Full Chromium is
# the fallback for machines that have only that.
CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium") or "/usr/bin/chromium-headless-shell"
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
            raise RuntimeError(
                "chromium-headless-shell (or chromium) is required in CI: scripts/ensure-browser should have installed it"
            )
        pytest.skip(
            "neither chromium-headless-shell nor chromium is installed (scripts/ensure-browser installs the first as root)",
            allow_module_level=True,
        )


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


_ports_served: set[int] = set()


@contextlib.contextmanager
def serving(folder: Path, *, search: bool = True) -> Iterator[str]:
    """A static server on loopback for folder, for as long as the block runs; yields its base URL.
    With search=False it serves an empty search index (for tests that check layout, not search).

    No two servers of a session share a port: browser tests share a context, whose cache would
    otherwise give a later site the files an earlier one served at the same URL."""
    handler = functools.partial(QuietHandler if search else EmptySearchIndexHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    while server.server_address[1] in _ports_served:
        server.server_close()
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    _ports_served.add(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session: starting it costs more than most browser tests. Tests
    stay apart through a page of their own, see new_page."""
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


DEFAULT_VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
# Per page, what a page can emulate by itself; any other option needs a context of its own.
PAGE_OPTIONS = {"viewport", "color_scheme", "reduced_motion"}
# A page's first document on each site starts with empty storage, as in a context of its own: the
# palette a test chose (localStorage) never reaches the next test. sessionStorage is the page's own.
FRESH_STORAGE = """try {
  if (!sessionStorage.getItem("hb-test-page")) { localStorage.clear(); sessionStorage.setItem("hb-test-page", "1"); }
} catch (e) {}"""
_shared: dict[int, BrowserContext] = {}


class Closable(Protocol):
    def close(self) -> None: ...


def new_page(browser: Browser, **options: Any) -> tuple[Closable, Page]:
    """A fresh page at 1280x900 (or `viewport`) and what the caller closes when done with it.

    Pages share one context per browser unless an option needs a context of their own (JavaScript
    off): a context costs the browser about 0.5 s of CPU more than a page (its renderer processes),
    the largest part of most browser tests. Each page starts with empty storage (FRESH_STORAGE)
    and no cookies; its colour scheme and motion preference are emulated by the page itself."""
    if set(options) - PAGE_OPTIONS:
        context = browser.new_context(**{"viewport": DEFAULT_VIEWPORT, **options})
        page = context.new_page()
        page.set_default_timeout(15000)
        return context, page
    shared = _shared.get(id(browser))
    if shared is None:
        shared = _shared[id(browser)] = browser.new_context(viewport=DEFAULT_VIEWPORT)
        shared.add_init_script(FRESH_STORAGE)
    shared.clear_cookies()
    page = shared.new_page()
    page.set_default_timeout(15000)
    page.set_viewport_size(options.get("viewport", DEFAULT_VIEWPORT))
    if "color_scheme" in options or "reduced_motion" in options:
        page.emulate_media(color_scheme=options.get("color_scheme"), reduced_motion=options.get("reduced_motion"))
    return page, page


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page at 1280x900 (see new_page), closed after the test."""
    closable, page = new_page(browser)
    yield page
    closable.close()


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
