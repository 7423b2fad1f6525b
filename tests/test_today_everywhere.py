"""Every command that validates takes --today and honours HANDBOOK_TODAY: none reads the wall clock.

The handbook's dates are moved decades into the past or future; each command is run on a matching
date (where the content is valid) and must pass, and on a date before the content was written
(where reviews are dated in the future) must fail for exactly that reason.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CACHE_DIR, copy_content, invoke, run_cli

PACKET = "packets/examples/priya-raman-senior.yaml"


def shifted_copy(target: Path, years: int) -> Path:
    repo = copy_content(target)
    for path in repo.rglob("*.yaml"):
        text = path.read_text("utf-8")
        path.write_text(re.sub(r"\b(20[0-9]{2})-", lambda m: f"{int(m.group(1)) + years}-", text), "utf-8")
    return repo


NEW_PACKET = ("new", "packet", "--candidate", "Dana Example", "--target", "ic3")


def commands(year: int) -> list[tuple[str, ...]]:
    return [
        ("validate",),
        ("readiness", PACKET),
        ("governance",),
        ("stats",),
        ("codeowners",),
        ("codeowners", "--check"),
        NEW_PACKET,
    ]


def run_dated(args: tuple[str, ...], repo: Path, today: str, how: str) -> subprocess.CompletedProcess[str]:
    # HANDBOOK_TODAY is always set by invoke; "flag" overrides it with a wrong one so the flag must win.
    if how == "flag":
        return invoke(*args, "--today", today, cwd=repo, env={"HANDBOOK_TODAY": "1999-12-31"})
    return invoke(*args, cwd=repo, env={"HANDBOOK_TODAY": today})


@pytest.mark.parametrize("years,how", [(-30, "flag"), (70, "env")])
def test_every_command_passes_on_a_date_matching_the_content(tmp_path: Path, years: int, how: str) -> None:
    repo = shifted_copy(tmp_path / "hb", years)
    year = 2026 + years
    today = f"{year}-11-28"
    for args in commands(year):
        result = run_dated(args, repo, today, how)
        assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
        assert "in the future" not in result.stdout + result.stderr
        if args == NEW_PACKET:  # the cycle open on that date
            assert f"Created packets/{year}-h2/dana-example.yaml" in result.stdout
    build = run_dated(("build", "--site-dir", str(tmp_path / "site")), repo, today, how)
    assert build.returncode == 0, build.stderr[-2000:]


PAST = "2000-01-01"


@pytest.mark.parametrize("how", ["flag", "env"])
def test_every_command_fails_on_a_date_before_the_content(repo: Path, tmp_path: Path, how: str) -> None:
    assert invoke("codeowners", cwd=repo).returncode == 0
    for args in [*commands(2026), ("build", "--site-dir", str(tmp_path / "site"))]:
        if args == NEW_PACKET:  # a scaffold, not a check: it picks the next cycle as of that date
            result = run_dated(args, repo, PAST, how)
            assert result.returncode == 0 and "Created packets/2026-h1/" in result.stdout, result.stderr
            continue
        result = run_dated(args, repo, PAST, how)
        assert result.returncode == 1, (args, result.stdout[-2000:], result.stderr[-2000:])
        assert "-in-future]" in result.stdout + result.stderr, args
        assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_fails_on_a_date_before_the_content_and_serves_on_a_matching_one(tmp_path: Path) -> None:
    past = run_cli(
        "serve",
        "--today",
        PAST,
        "--dev-addr",
        f"127.0.0.1:{free_port()}",
        cwd=copy_content(tmp_path / "a"),
        timeout=120,
    )
    assert past.returncode == 1 and "review-in-future" in past.stdout
    repo = shifted_copy(tmp_path / "b", 70)
    env = {**os.environ, "HANDBOOK_TODAY": "2096-11-28", "HANDBOOK_CACHE_DIR": CACHE_DIR, "NO_MKDOCS_2_WARNING": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--dev-addr", f"127.0.0.1:{free_port()}"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    try:
        deadline = time.monotonic() + 120
        seen = ""
        while time.monotonic() < deadline and server.poll() is None:
            line = server.stdout.readline()
            seen += line
            if "Serving on" in line:
                break
        assert "Serving on" in seen, seen[-2000:]
        assert "in the future" not in seen
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server.stdout.close()
