"""Shared test helpers: a private copy of the repository's content, and the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONTENT = ("site_config", "rubrics", "levels", "packets", "teams", "mkdocs.yml")
FIXED_TODAY = "2026-11-28"


def copy_content(target: Path) -> Path:
    for name in CONTENT:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the default handbook that a test may break."""
    return copy_content(tmp_path / "handbook")


def override_template(repo: Path, name: str) -> Path:
    """Copy a shipped template into the repository's site_config/templates/, where it overrides the
    shipped one, and return its path there."""
    target = repo / "site_config" / "templates" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "generator" / "templates" / name, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), "utf-8")


CACHE_DIR = tempfile.mkdtemp(prefix="handbook-test-cache-")


def run_cli(*args: str, cwd: Path, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "HANDBOOK_TODAY": FIXED_TODAY, "NO_MKDOCS_2_WARNING": "1",
                "HANDBOOK_CACHE_DIR": CACHE_DIR, **(env or {})}
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def invoke(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """The CLI in this process (Click's test runner), for logic that does not cross a process
    boundary: the same environment as run_cli, the same result shape, and a traceback (which a
    real run would print) kept in stderr so that tests can still refuse one. Use run_cli where the
    process boundary is the point: signals, serve, engines, kill -9, the installed entry point."""
    import traceback

    from click.testing import CliRunner

    from generator.cli import main

    full_env = {"HANDBOOK_TODAY": FIXED_TODAY, "NO_MKDOCS_2_WARNING": "1", "HANDBOOK_CACHE_DIR": CACHE_DIR,
                **(env or {})}
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, [str(a) for a in args], env=full_env, catch_exceptions=True)
    finally:
        os.chdir(previous)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["handbook", *map(str, args)], result.exit_code, result.stdout, stderr)
