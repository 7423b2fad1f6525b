"""Build the handbook: validate, generate Markdown, run MkDocs, then swap the new site into place.

A failed build never leaves a half-written site: everything is built in a sibling folder and
renamed over the old site only when MkDocs succeeded.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

import jinja2

from .cache import ResultCache
from .aggregates import site_aggregates
from .history import changelog
from .linkcheck import check_site
from .render.config import ConfigError, build_config, read_base_config
from .render.pages import render_pages
from .render.plan import SitePlan, plan_site
from .schema_check import KINDS, schema_text
from .validate import Report, validate_repository

Progress = Callable[[str], None]
ENGINE_ENV = {"NO_MKDOCS_2_WARNING": "1"}  # Material's documented switch for its end-of-life banner
ENGINES = ("mkdocs", "zensical")


class BuildError(Exception):
    """The build stopped; `report` holds validation problems when that is why."""

    def __init__(self, message: str, report: Report | None = None):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class BuildResult:
    site_dir: Path
    pages: int
    report: Report


def generate_docs(root: Path, docs_dir: Path, report: Report, today: date, include_private: bool = False,
                  history: tuple = (), health=None):
    """Write the generated Markdown, schemas and assets into docs_dir; return the site plan."""
    handbook = report.handbook
    plan = plan_site(handbook, today, include_private, history, health)
    pages = render_pages(plan, handbook, root / "site_config" / "templates", today)
    files = {path: text for path, text in pages.items()}
    for kind in KINDS:
        files[f"schemas/{kind}.schema.json"] = schema_text(kind)
    assets = root / "site_config" / "assets"
    if assets.is_dir():
        for asset in sorted(assets.rglob("*")):
            if asset.is_file():
                files[f"assets/{asset.relative_to(assets).as_posix()}"] = asset.read_text("utf-8")
    write_tree(docs_dir, files)
    return plan


def prepare_sources(root: Path, workdir: Path, report: Report, today: date, include_private: bool,
                    history: tuple, packets_root: Path | None = None) -> SitePlan:
    """Everything an engine reads, written into workdir: docs/ and an mkdocs.yml pointing at it.

    Raises BuildError for a broken template or mkdocs.yml, so no caller sees a traceback."""
    try:
        base = read_base_config(root / "mkdocs.yml")
        health = site_aggregates(root, report.handbook, today, include_private, packets_root)
        plan = generate_docs(root, workdir / "docs", report, today, include_private, history, health)
    except ConfigError as exc:
        raise BuildError(str(exc)) from None
    except jinja2.TemplateError as exc:
        raise BuildError(template_problem(exc)) from None
    config = build_config(base, plan.nav)
    target = workdir / "mkdocs.yml"
    if not target.is_file() or target.read_text("utf-8") != config:  # a watching server reloads on writes
        target.write_text(config, "utf-8")
    return plan


def template_problem(exc: jinja2.TemplateError) -> str:
    """A template error as `file:line: message`, without a traceback."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None) or "template"
    line = getattr(exc, "lineno", None)
    if line is None:
        frames = [tb for tb in _traceback_frames(exc) if tb.tb_frame.f_code.co_filename.endswith(".j2")]
        if frames:
            name, line = frames[-1].tb_frame.f_code.co_filename, frames[-1].tb_lineno
    return f"{name}:{line or 1}: template error: {exc.message or exc}"


def _traceback_frames(exc: BaseException):
    tb = exc.__traceback__
    while tb is not None:
        yield tb
        tb = tb.tb_next


def write_tree(folder: Path, files: dict[str, str]) -> None:
    """Write files under folder, rewriting only those whose content changed, and removing the
    rest, so that a watching server sees exactly what changed."""
    for relative, content in files.items():
        target = folder / relative
        if target.is_file() and target.read_text("utf-8") == content:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, "utf-8")
    if folder.is_dir():
        for existing in sorted(folder.rglob("*"), reverse=True):
            relative = existing.relative_to(folder).as_posix()
            if existing.is_file() and relative not in files:
                existing.unlink()
            elif existing.is_dir() and not any(existing.iterdir()):
                existing.rmdir()


def require_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise BuildError(f"unknown engine '{engine}' (choose from {', '.join(ENGINES)})")
    if importlib.util.find_spec(engine) is None:
        raise BuildError(f"{engine} is not installed: pip install '.[{engine}]' (or -c constraints.txt -e '.[{engine}]')")


def engine_command(engine: str, action: str, config: Path, *extra: str) -> list[str]:
    strict = ["--strict"] if action == "build" else []  # Zensical ignores it; our link check covers both
    return [sys.executable, "-m", engine, action, *strict, "--config-file", str(config), *extra]


def build(root: Path, site_dir: Path, today: date, include_private: bool = False,
          progress: Progress = lambda message: None, engine: str = "mkdocs",
          packets_root: Path | None = None) -> BuildResult:
    require_engine(engine)
    progress("Validating")
    report = validate_repository(root, today=today, cache=ResultCache(), packets_root=packets_root)
    if report.errors:
        raise BuildError("validation failed: nothing was built", report)
    site_dir = site_dir.resolve()
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    workspace = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}-build-", dir=site_dir.parent))
    try:
        progress("Reading criteria history from git")
        history = changelog(root)
        progress("Generating pages")
        plan = prepare_sources(root, workspace, report, today, include_private, history, packets_root)
        progress(f"Building {len(plan.pages)} pages with {engine}")
        run_engine(engine_command(engine, "build", workspace / "mkdocs.yml"), root, engine)
        progress("Checking links")
        broken = check_site(workspace / "site")
        if broken:
            listing = "\n".join(f"  {b.page}: {b.target} ({b.reason})" for b in broken[:50])
            raise BuildError(f"{len(broken)} broken link(s) in the built site; the previous site was left "
                             f"untouched:\n{listing}")
        progress("Publishing")
        swap(workspace / "site", site_dir)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    return BuildResult(site_dir, len(plan.pages), report)


def run_engine(command: list[str], cwd: Path, engine: str) -> None:
    env = {**os.environ, **ENGINE_ENV}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        output = "\n".join(line for line in (result.stderr + result.stdout).splitlines() if line.strip())
        raise BuildError(f"{engine} failed; the previous site was left untouched:\n{output[-4000:]}")


def swap(new_site: Path, site_dir: Path) -> None:
    """Replace site_dir with new_site by renames on the same filesystem."""
    old = None
    if site_dir.exists():
        old = site_dir.with_name(f".{site_dir.name}-old-{os.getpid()}")
        site_dir.rename(old)
    try:
        new_site.rename(site_dir)
    except OSError:
        if old is not None:
            old.rename(site_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
