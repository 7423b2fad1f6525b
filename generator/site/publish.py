"""Build the handbook: validate, generate Markdown, run MkDocs, then swap the new site into place.

A failed build never leaves a half-written site: everything is built in a private folder beside
the site and exchanged with the old site only when MkDocs and the link check succeeded. Which
folders a build may replace, the lock, and the exchange live in site_folder.py.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..check.schema_check import KINDS, TEAM_KINDS, schema_text
from ..compute.aggregates import Aggregates
from ..compute.semantic_diff import ChangelogEntry
from ..load.safe_files import create_new, write_exclusive
from ..model.diagnostics import Report
from ..model.errors import BuildError, GitError
from ..model.handbook import CheckedHandbook
from ..render.config import ConfigError, base_config, build_config
from ..render.pages import PACKAGE_TEMPLATES, render_pages
from ..render.plan import PlanError, SitePlan, plan_site
from ..render.template_errors import template_problem
from ..report.validation import render
from ..workspace.workspace import Workspace
from .engines import ENGINE_ENV, ENGINES

if TYPE_CHECKING:
    import jinja2
    from mkdocs.config.defaults import MkDocsConfig

    from ..compute.teams import TeamFolder
from .linkcheck import check_site
from .site_folder import check_site_folder, locked, mark, new_workspace, put_in_place, site_path

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    site_dir: Path
    pages: int
    report: Report


def generate_docs(
    root: Path,
    docs_dir: Path,
    handbook: CheckedHandbook,
    today: date,
    include_private: bool = False,
    history: tuple[ChangelogEntry, ...] = (),
    health: Aggregates | None = None,
    teams: TeamFolder | None = None,
) -> SitePlan:
    """Write the generated Markdown, schemas and assets into docs_dir; return the site plan. `teams`
    is teams/ as the workspace read it (read here when not given)."""
    from ..compute.team_signals import context_of, site_signals
    from ..compute.teams import read_team_folder, team_site

    folder = teams or read_team_folder(root)
    plan = plan_site(
        handbook,
        today,
        include_private,
        history,
        health,
        team_site(folder, today),
        organisation_pages(root, handbook),
        site_signals(lambda: context_of(folder), handbook, today, include_private),
    )
    pages = render_pages(plan, handbook, root / "site_config" / "templates", today)
    files: dict[str, str | bytes] = {path: text for path, text in pages.items()}
    for kind in KINDS + TEAM_KINDS:
        files[f"schemas/{kind}.schema.json"] = schema_text(kind)
    for assets in (PACKAGE_TEMPLATES / "assets", root / "site_config" / "assets"):  # the organisation's override ours
        if assets.is_dir():
            for asset in sorted(assets.rglob("*")):
                if asset.is_file():
                    files[f"assets/{asset.relative_to(assets).as_posix()}"] = asset.read_bytes()  # logos are binary
    write_tree(docs_dir, files)
    return plan


def organisation_pages(root: Path, handbook: CheckedHandbook) -> dict[str, str]:
    """The Markdown of each page the settings place (pages/<id>.md); rendered sanitized like all text."""
    found = {}
    for page in handbook.settings.pages:
        path = root / "pages" / f"{page.id}.md"
        try:
            found[page.id] = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = "it does not exist" if isinstance(exc, FileNotFoundError) else f"it cannot be read ({exc})"
            raise PlanError(
                f"{handbook.settings.file}: pages names '{page.id}', but pages/{page.id}.md: {reason}; "
                "add the file or remove the entry"
            ) from None
    return found


def prepare_sources(space: Workspace, workdir: Path, include_private: bool) -> SitePlan:
    """Everything an engine reads, written into workdir: docs/ and an mkdocs.yml pointing at it.

    Raises BuildError for a broken template or mkdocs.yml, so no caller sees a traceback."""
    root, handbook = space.root, space.handbook
    try:
        history = space.changelog
    except GitError as problem:
        raise BuildError(f"cannot read the criteria history from git: {problem}") from None
    try:
        base = base_config(root, handbook.settings)
        health = space.site_aggregates(include_private)
        plan = generate_docs(
            root, workdir / "docs", handbook, space.today, include_private, history, health, space.teams
        )
    except (ConfigError, PlanError) as exc:
        raise BuildError(str(exc)) from None
    except Exception as exc:  # an exception raised inside a template is the template's problem
        located = template_problem(exc)
        if located is None:
            raise
        raise BuildError(located) from None
    config = build_config(base, plan.nav)
    target = workdir / "mkdocs.yml"
    if not target.is_file() or target.read_text("utf-8") != config:  # a watching server reloads on writes
        write_exclusive(target, config)
    return plan


def write_tree(folder: Path, files: dict[str, str | bytes]) -> None:
    """Write files (text, or bytes as they are) under folder, rewriting only those whose content
    changed, and removing the rest, so that a watching server sees exactly what changed. The folder
    is private to the build or preview (a failure discards it): a file not there yet is created
    directly, the others replaced whole."""
    folders: set[Path] = set()
    for relative, content in files.items():
        target = folder / relative
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        if create_new(target, data) or (target.is_file() and target.read_bytes() == data):
            continue
        write_exclusive(target, data)
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
        raise BuildError(
            f"{engine} is not installed: pip install '.[{engine}]' (or -c constraints.txt -e '.[{engine}]')"
        )


def engine_command(engine: str, action: str, config: Path, *extra: str) -> list[str]:
    strict = ["--strict"] if action == "build" else []  # Zensical ignores it; our link check covers both
    return [sys.executable, "-m", engine, action, *strict, "--config-file", str(config), *extra]


def build(
    space: Workspace,
    site_dir: Path,
    include_private: bool = False,
    progress: Progress = lambda message: None,
    engine: str = "mkdocs",
) -> BuildResult:
    require_engine(engine)
    progress("Validating")
    if space.report.errors:
        raise BuildError("validation failed: nothing was built", render(space.report, "text"))
    root, packets_root = space.root, space.packets_root
    site = site_path(site_dir)  # a SiteFolderError (exit status 2): a folder the build must not replace
    for repository in (root, packets_root) if packets_root else (root,):
        check_site_folder(repository, site)
    with locked(site, progress) as staging:
        plan = _build_into(space, site, new_workspace(staging, site), include_private, progress, engine)
    return BuildResult(site, len(plan.pages), space.report)


def _build_into(
    space: Workspace, site: Path, workdir: Path, include_private: bool, progress: Progress, engine: str
) -> SitePlan:
    """Build in workdir (0700) and put the result in place at site; the workdir is removed."""
    try:
        progress("Reading criteria history from git")
        try:
            _ = space.changelog  # read now, so a git failure stops the build before anything is written
        except GitError as problem:
            raise BuildError(f"cannot read the criteria history from git: {problem}") from None
        progress("Generating pages")
        plan = prepare_sources(space, workdir, include_private)
        progress(f"Building {len(plan.pages)} pages with {engine}")
        if engine == "mkdocs":
            run_mkdocs(workdir / "mkdocs.yml")
        else:
            run_engine(engine_command(engine, "build", workdir / "mkdocs.yml"), space.root, engine)
        progress("Checking links")
        broken = check_site(workdir / "site")
        if broken:
            listing = "\n".join(f"  {b.page}: {b.target} ({b.reason})" for b in broken[:50])
            raise BuildError(
                f"{len(broken)} broken link(s) in the built site; the previous site was left untouched:\n{listing}"
            )
        progress("Publishing")
        mark(workdir / "site")
        put_in_place(space.data_root, workdir / "site", site)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return plan


def _compile_theme_templates_once(config: MkDocsConfig) -> None:
    """Give the theme's template environment the preview's bytecode cache (warm.ThemeBytecodeCache:
    in this process and in the user's private cache), so the theme's templates are compiled once, not
    on every build. Jinja compares each entry with its template's source, so an edited override is
    compiled again. Its loader skips hidden folders when MkDocs lists the theme's files (warm.ThemeLoader)."""
    from .warm import BYTECODE, ThemeLoader

    make_environment = config.theme.get_env

    def get_env() -> jinja2.Environment:
        env = make_environment()
        env.bytecode_cache = BYTECODE
        env.loader = ThemeLoader(config.theme.dirs)
        return env

    config.theme.get_env = get_env  # type: ignore[method-assign]


def run_mkdocs(config_file: Path) -> None:
    """`mkdocs build --strict` in this process, through MkDocs' Python API: a second Python process
    that imports MkDocs and Material again took longer than the build. MkDocs' log lines are
    collected as its command line prints them, and a failure reads as run_engine's does."""
    import warnings

    from mkdocs.commands.build import build as build_with_mkdocs
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    lines: list[str] = []
    handler = _Collect(lines)
    logger = logging.getLogger("mkdocs")
    saved = logger.level, logger.propagate
    logger.setLevel(logging.INFO)  # what `mkdocs build` logs, so that a failure shows its context
    logger.propagate = False  # MkDocs' lines go only into a failure's message, as with a process
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings():  # as `mkdocs build` does: deprecations are its log's business
            warnings.simplefilter("ignore", DeprecationWarning)
            config = load_config(str(config_file), strict=True)
            _compile_theme_templates_once(config)
            config.plugins.on_startup(command="build", dirty=False)
            try:
                build_with_mkdocs(config)
            finally:
                config.plugins.on_shutdown()
    except Exception as failure:  # anything MkDocs, Material or a Markdown extension raises: as a process's exit
        shown = str(failure) if isinstance(failure, MkDocsException) else f"{type(failure).__name__}: {failure}"
        lines.extend(shown.splitlines())
        output = "\n".join(line for line in lines if line.strip())
        raise BuildError(f"mkdocs failed; the previous site was left untouched:\n{output[-4000:]}") from None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


class _Collect(logging.Handler):
    """MkDocs' log records as `mkdocs build` prints them: `LEVEL    -  message`."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname:<8}-  {record.getMessage()}")


def run_engine(command: list[str], cwd: Path, engine: str) -> None:
    env = {**os.environ, **ENGINE_ENV}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        output = "\n".join(line for line in (result.stderr + result.stdout).splitlines() if line.strip())
        raise BuildError(f"{engine} failed; the previous site was left untouched:\n{output[-4000:]}")
