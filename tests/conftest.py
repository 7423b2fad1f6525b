"""Shared test helpers: a private copy of the repository's content, and the real CLI."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browserkit import browser, page  # noqa: F401 (fixtures, registered here once for the whole session)

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
    shutil.copy2(REPO / "generator" / "render" / "templates" / name, target)
    return target


def compiled_templates(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The names of the Jinja templates compiled from now on in this test (any environment): a
    template loaded from a bytecode cache is not compiled."""
    import jinja2

    compiled: list[str | None] = []
    original = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, name: str | None = None, *args: Any) -> Any:
        compiled.append(name)
        return original(self, source, name, *args)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return compiled


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), "utf-8")


def search(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    """re.search for a match the test expects: fails the test, naming the pattern, when there is none."""
    found = re.search(pattern, text, flags)
    assert found is not None, f"{pattern!r} not found"
    return found


CACHE_DIR = tempfile.mkdtemp(prefix="handbook-test-cache-")
atexit.register(shutil.rmtree, CACHE_DIR, ignore_errors=True)  # each process's own, gone with it


def run_cli(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "HANDBOOK_TODAY": FIXED_TODAY,
        "NO_MKDOCS_2_WARNING": "1",
        "HANDBOOK_CACHE_DIR": CACHE_DIR,
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def invoke(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in this process (Click's test runner), for logic that does not cross a process
    boundary: the same environment as run_cli, the same result shape, and a traceback (which a
    real run would print) kept in stderr so that tests can still refuse one. Use run_cli where the
    process boundary is the point: signals, serve, engines, kill -9, the installed entry point."""
    import traceback

    from click.testing import CliRunner

    from generator.cli import main

    full_env = {
        "HANDBOOK_TODAY": FIXED_TODAY,
        "NO_MKDOCS_2_WARNING": "1",
        "HANDBOOK_CACHE_DIR": CACHE_DIR,
        **(env or {}),
    }
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


# --- One git repository, copied per test ------------------------------------------------------------

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(repo: Path, *args: str, date: str | None = None) -> str:
    """git in repo with a fixed identity (and, given `date`, that author and commit date); its stdout."""
    env = {**os.environ, **GIT_IDENTITY}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T12:00:00"
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def commit(repo: Path, message: str, date: str | None = None) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message, date=date)


@pytest.fixture(scope="session")
def git_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default handbook as a git repository on `main` with one commit, made once per session."""
    template = copy_content(tmp_path_factory.mktemp("git-template") / "handbook")
    git(template, "init", "-q", "-b", "main")
    commit(template, "handbook")
    return template


@pytest.fixture
def git_repo(git_template: Path, tmp_path: Path) -> Path:
    """A copy of git_template (history included) that a test may change."""
    return Path(shutil.copytree(git_template, tmp_path / "handbook", symlinks=True))


# --- Each kind of site built once per session -------------------------------------------------------
# Tests that only READ a built site share these; a test that changes content or builds into a folder
# builds its own. Mark a module that uses one with `pytest.mark.xdist_group(<its name>)`, so that
# one worker builds it (`--dist loadgroup`).

FIXTURES = Path(__file__).parent / "fixtures" / "packets"


@dataclass(frozen=True)
class Built:
    repo: Path
    site: Path
    result: subprocess.CompletedProcess[str]


def build(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = invoke("build", *args, cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="session")
def shared_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default handbook, the fixture packet among its examples, and three private packets, each
    with markers that must never reach a public page (see test_privacy and test_engines)."""
    from test_privacy import private_packet

    repo = copy_content(tmp_path_factory.mktemp("shared") / "handbook")
    shutil.copy(FIXTURES / "fixture-staff.yaml", repo / "packets" / "examples" / "fixture-staff.yaml")
    secret = (FIXTURES / "fixture-staff.yaml").read_text().replace("visibility: example", "visibility: private")
    (repo / "packets" / "secret.yaml").write_text(secret.replace("Fixture Candidate", "Qqprivatemarker"))
    private_packet(repo / "packets" / "2026-h2", "zqxmarkerslug")
    private_packet(repo / "packets" / "2026-h1", "zqxmarkerother")
    return repo


@pytest.fixture(scope="session")
def public_site(shared_content: Path) -> Built:
    """`handbook build` of shared_content, into site/."""
    return Built(shared_content, shared_content / "site", build(shared_content))


@pytest.fixture(scope="session")
def internal_site(public_site: Built) -> Built:
    """`handbook build --include-private` of shared_content, into site-internal/, after public_site."""
    repo = public_site.repo
    return Built(repo, repo / "site-internal", build(repo, "--include-private"))


@pytest.fixture(scope="session")
def zensical_site(public_site: Built) -> Built:
    """`handbook build --engine zensical` of shared_content, into site-zensical/."""
    pytest.importorskip("zensical")
    repo = public_site.repo
    return Built(repo, repo / "site-zensical", build(repo, "--engine", "zensical", "--site-dir", "site-zensical"))


@pytest.fixture(scope="session")
def framework_site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The framework-shaped handbook of tests/framework.py, built."""
    from framework import write_framework

    root = write_framework(tmp_path_factory.mktemp("framework") / "handbook")
    return Built(root, root / "site", build(root))


@pytest.fixture(scope="session")
def public_url(public_site: Built) -> Iterator[str]:
    from browserkit import serving

    with serving(public_site.site) as url:
        yield url


@pytest.fixture(scope="session")
def framework_url(framework_site: Built) -> Iterator[str]:
    """framework_site without its search index, for the tests of layout and the compare page."""
    from browserkit import serving

    with serving(framework_site.site, search=False) as url:
        yield url
