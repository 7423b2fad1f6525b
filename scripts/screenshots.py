"""Desktop (1280 px) and phone (390 px) screenshots of the built handbook, for the README.

    .venv/bin/handbook build && .venv/bin/python scripts/screenshots.py [SITE] [OUT]

SITE defaults to site/, OUT to docs/screenshots/. Chromium: chromium-headless-shell (scripts/ensure-browser installs it) or chromium.
"""

from __future__ import annotations

import functools
import shutil
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

SHOTS = (
    ("desktop.png", "/levels/ic4/", {"width": 1280, "height": 800}),
    ("phone.png", "/packets/priya-raman-senior/#evidence", {"width": 390, "height": 844}),
)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main(site: Path, out: Path) -> int:
    if not (site / "index.html").is_file():
        print(f"error: no built handbook in {site}: run `handbook build` first", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium-headless-shell")
                or shutil.which("chromium")
                or "/usr/bin/chromium",
                args=ARGS,
            )
            for name, path, viewport in SHOTS:
                page = browser.new_page(viewport=viewport, color_scheme="light")
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / name))
                page.close()
                print(f"{out / name}: {path} at {viewport['width']} px")
            browser.close()
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(
        main(
            Path(arguments[0] if arguments else "site"),
            Path(arguments[1] if len(arguments) > 1 else "docs/screenshots"),
        )
    )
