"""scripts/ensure-browser: it installs chromium-headless-shell when it may, and never fails the run
(issue 20: `make test` never fails because of the machine); the process boundary is the point."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "ensure-browser"


def fake_bin(folder: Path, programs: dict[str, str]) -> dict[str, str]:
    """An environment whose PATH holds only `programs` (name -> shell body) and the real `env`."""
    folder.mkdir()
    for name, body in {"id": "echo 0", "sleep": "exit 0", **programs}.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    (folder / "env").symlink_to("/usr/bin/env")
    return {**os.environ, "PATH": str(folder)}


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=False)


def test_an_installed_shell_needs_nothing(tmp_path: Path) -> None:
    env = fake_bin(tmp_path / "bin", {"chromium-headless-shell": "exit 0", "apt-get": f"touch {tmp_path}/apt-ran"})
    result = run(env)
    assert (result.returncode, result.stderr) == (0, "")
    assert not (tmp_path / "apt-ran").exists()


def test_the_shell_is_installed_as_root(tmp_path: Path) -> None:
    env = fake_bin(tmp_path / "bin", {"apt-get": f'echo "$@" >> {tmp_path}/apt-calls'})
    result = run(env)
    assert result.returncode == 0
    calls = (tmp_path / "apt-calls").read_text().splitlines()
    assert calls[-1].endswith("install -y chromium-headless-shell")
    assert all("DPkg::Lock::Timeout=300" in call for call in calls)


@pytest.mark.parametrize(("chromium", "says"), [(True, "use full chromium instead"), (False, "cannot run")])
def test_a_failed_install_retries_then_falls_back_without_failing(tmp_path: Path, chromium: bool, says: str) -> None:
    programs = {"apt-get": f"echo x >> {tmp_path}/attempts; exit 100"}
    if chromium:
        programs["chromium"] = "exit 0"
    result = run(fake_bin(tmp_path / "bin", programs))
    assert result.returncode == 0
    assert len((tmp_path / "attempts").read_text().splitlines()) == 3  # `apt-get update` fails each attempt
    assert "after 3 attempts" in result.stderr and says in result.stderr


def test_without_root_or_sudo_it_says_what_the_tests_will_do(tmp_path: Path) -> None:
    env = fake_bin(tmp_path / "bin", {"id": "echo 1000", "chromium": "exit 0", "apt-get": "exit 1"})
    result = run(env)
    assert result.returncode == 0
    assert "cannot be installed without root: the browser tests use full chromium instead" in result.stderr
