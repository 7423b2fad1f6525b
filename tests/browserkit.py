"""What every browser test shares: Debian's Chromium with the flags this machine needs, and a quiet
static file server for a built site."""

from __future__ import annotations

import os
import shutil
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def require_chromium() -> None:
    """Skip the calling test module without Chromium; in CI its absence is an error."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError("chromium is required in CI: scripts/ensure-browser should have installed it")
        pytest.skip("chromium is not installed (scripts/ensure-browser installs it as root)", allow_module_level=True)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass
