"""Live preview: regenerate pages when YAML or templates change; MkDocs reloads the browser."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import date
from pathlib import Path
from typing import Callable

from .cache import ResultCache
from .history import changelog, head_commit
from .publish import ENGINE_ENV, BuildError, engine_command, prepare_sources
from .report_formats import render
from .validate import validate_repository

WATCHED = ("rubrics", "levels", "packets", "site_config", "mkdocs.yml")


def snapshot(root: Path) -> dict[str, float]:
    """Modification times of every watched file."""
    times: dict[str, float] = {}
    for name in WATCHED:
        path = root / name
        candidates = path.rglob("*") if path.is_dir() else [path]
        for item in candidates:
            if item.is_file():
                times[str(item)] = item.stat().st_mtime_ns
    return times


class _History:
    """The criteria changelog depends only on commits: read it again only when HEAD moves."""

    def __init__(self, root: Path):
        self.root, self.head, self.entries = root, None, ()

    def entries_now(self) -> tuple:
        head = head_commit(self.root)
        if head is None or head != self.head:
            self.head, self.entries = head, changelog(self.root)
        return self.entries


def regenerate(root: Path, workdir: Path, today: date, include_private: bool, echo: Callable[[str], None],
               history: _History) -> bool:
    report = validate_repository(root, today=today, cache=ResultCache())
    if report.errors:
        echo(render(report, "text"))
        echo("Validation failed: still serving the last good pages.")
        return False
    try:
        prepare_sources(root, workdir, report, today, include_private, history.entries_now())
    except BuildError as problem:
        echo(f"error: {problem}")
        echo("Still serving the last good pages.")
        return False
    return True


def _stop_on_terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(root: Path, address: str, today: date, include_private: bool, echo: Callable[[str], None],
          poll_seconds: float = 1.0, engine: str = "mkdocs") -> int:
    workdir = root / ".handbook-build"
    workdir.mkdir(exist_ok=True)
    history = _History(root)
    if not regenerate(root, workdir, today, include_private, echo, history):
        return 1
    # click newer than 8.2.1 turned MkDocs' live reload off by default: ask for it.
    extra = ["--livereload"] if engine == "mkdocs" else []
    command = engine_command(engine, "serve", workdir / "mkdocs.yml", "--dev-addr", address, *extra)
    server = subprocess.Popen(command, cwd=root, env={**os.environ, **ENGINE_ENV})
    signal.signal(signal.SIGTERM, _stop_on_terminate)  # so that the engine's server is stopped too
    echo(f"Serving on http://{address}/ — edit YAML or templates and the page reloads. Ctrl-C stops.")
    seen = snapshot(root)
    try:
        while server.poll() is None:
            time.sleep(poll_seconds)
            current = snapshot(root)
            if current != seen:
                seen = current
                echo("Change detected: regenerating")
                regenerate(root, workdir, today, include_private, echo, history)
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait(timeout=10)
    return server.returncode or 0
