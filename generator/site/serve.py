"""Live preview: regenerate pages when YAML or templates change; MkDocs reloads the browser."""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..load.safe_files import write_exclusive
from ..model.errors import BuildError
from ..render.pages import template_environment
from ..render.text import plain
from ..report.validation import render
from ..workspace.workspace import Workspace
from .engines import ENGINE_ENV
from .publish import engine_command, prepare_sources

if TYPE_CHECKING:
    import watchfiles
    from mkdocs.livereload import LiveReloadServer

    from .warm import WarmBuild

WATCHED = ("rubrics", "levels", "packets", "site_config", "mkdocs.yml")
WORKDIR_PREFIX = "handbook-serve-"


def watched_paths(space: Workspace) -> list[Path]:
    """What the preview watches: the handbook's sources and, in a packets repository, its packets
    too; never a repository's root, whose .git, .venv and site/ would cost a watch per folder (so a
    source folder created while the preview runs is seen after a restart)."""
    roots = [space.root] + ([space.packets_root] if space.packets_root is not None else [])
    return [root / name for root in roots for name in WATCHED if (root / name).exists()]


def is_source(roots: tuple[Path, ...], path: Path) -> bool:
    """Whether a changed path is one the pages are made from (not an editor's swap file in the root)."""
    for root in roots:
        if path.is_relative_to(root):
            parts = path.relative_to(root).parts
            return bool(parts) and parts[0] in WATCHED
    return False


@dataclass(frozen=True)
class Problem:
    location: str  # file:line:col, or "" for a problem that is not in one file
    message: str


def regenerate(space: Workspace, workdir: Path, include_private: bool, echo: Callable[[str], None]) -> bool:
    """Regenerate the pages; when the YAML (or a template) is broken, keep the last good pages and
    put a banner listing the problems on every one of them, until the next good regeneration."""
    report = space.report
    if report.errors:
        echo(render(report, "text"))
        echo("Validation failed: still serving the last good pages.")
        show_banner(space.root, workdir, [Problem(f"{d.file}:{d.line}:{d.column}", d.message) for d in report.errors])
        return False
    try:
        prepare_sources(space, workdir, include_private)
    except BuildError as problem:
        echo(f"error: {problem}")
        echo("Still serving the last good pages.")
        show_banner(space.root, workdir, [Problem("", str(problem))])
        return False
    return True


BANNER_START, BANNER_END = "<!-- handbook-serve-banner -->\n", "<!-- /handbook-serve-banner -->\n\n"
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n\n", re.S)


def show_banner(root: Path, workdir: Path, problems: list[Problem]) -> None:
    """Put the banner (serve_banner.md.j2, overridable in site_config/templates/) at the top of every generated page,
    replacing an earlier one; the engine's server reloads the pages. A good regeneration rewrites
    every page, which removes it."""
    docs = workdir / "docs"
    try:
        env = template_environment(root / "site_config" / "templates")
        env.filters["plain"] = plain  # escaped text, no Markdown: messages quote what the files hold
        html = (
            BANNER_START
            + env.get_template("serve_banner.md.j2").render(problems=problems).strip("\n")
            + "\n"
            + BANNER_END
        )
    except Exception:
        return
    for page in sorted(docs.rglob("*.md")) if docs.is_dir() else ():
        text = page.read_text("utf-8")
        start = text.find(BANNER_START)
        if start >= 0:
            end = text.find(BANNER_END, start)
            text = text[:start] + text[end + len(BANNER_END) :] if end >= 0 else text
        head = _FRONT_MATTER.match(text)
        cut = head.end() if head else 0
        updated = text[:cut] + html + text[cut:]
        if updated != page.read_text("utf-8"):
            write_exclusive(page, updated)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # Ctrl-C, kill, the terminal was closed


@contextmanager
def stopped_by_signals() -> Iterator[threading.Event]:
    """Each stop signal raises KeyboardInterrupt where the preview is, and sets the event that its
    watching checks every 50 ms. The event is what makes a stop certain: a KeyboardInterrupt raised
    while Python finalizes an object (a generator, a socket) is printed and dropped, after which a
    preview that relied on it alone would watch for ever."""
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, on_signal) for number in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)  # None: set outside Python


def serve(
    space: Workspace, address: str, include_private: bool, echo: Callable[[str], None], engine: str = "mkdocs"
) -> int:
    """Generated pages (private ones too, with --include-private) live in a 0700 folder outside
    the repository, removed when the preview stops; one left by a killed preview goes at the next."""
    remove_stale_workdirs()
    workdir = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-"))
    try:
        with stopped_by_signals() as stopping:
            return _serve_from(workdir, space, address, include_private, echo, engine, stopping)
    except KeyboardInterrupt:
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _serve_from(
    workdir: Path,
    space: Workspace,
    address: str,
    include_private: bool,
    echo: Callable[[str], None],
    engine: str,
    stopping: threading.Event,
) -> int:
    if not regenerate(space, workdir, include_private, echo):
        return 1
    if engine == "mkdocs":
        return _serve_with_mkdocs(workdir, space, address, include_private, echo, stopping)
    command = engine_command(engine, "serve", workdir / "mkdocs.yml", "--dev-addr", address)
    server = subprocess.Popen(command, cwd=space.root, env={**os.environ, **ENGINE_ENV})
    echo(f"Serving on http://{address}/ — edit YAML or templates and the page reloads. Ctrl-C stops.")
    try:
        for changes in _changes(space, stopping):
            if server.poll() is not None:
                break
            if changes:
                space = _regenerated(space, workdir, include_private, echo)
    except KeyboardInterrupt:
        pass
    finally:
        stop(server)
    return server.returncode or 0


def _changes(space: Workspace, stopping: threading.Event) -> Iterator[set[tuple[watchfiles.Change, str]]]:
    """The operating system says what changed (inotify, FSEvents), within 50 ms of a quiet moment;
    every half second an empty set, so that the caller can look whether its server still runs.
    Ends within 50 ms of `stopping` being set."""
    import watchfiles

    roots = (space.root, *((space.packets_root,) if space.packets_root is not None else ()))
    return watchfiles.watch(
        *watched_paths(space),
        step=50,
        rust_timeout=500,
        yield_on_timeout=True,
        watch_filter=lambda change, path: is_source(roots, Path(path)),
        raise_interrupt=False,
        stop_event=stopping,
    )


def _regenerated(space: Workspace, workdir: Path, include_private: bool, echo: Callable[[str], None]) -> Workspace:
    echo("Change detected: regenerating")
    space = space.fresh()
    regenerate(space, workdir, include_private, echo)
    return space


def _serve_with_mkdocs(
    workdir: Path,
    space: Workspace,
    address: str,
    include_private: bool,
    echo: Callable[[str], None],
    stopping: threading.Event,
) -> int:
    """MkDocs' live-reload server in this process, with a builder that stays warm (warm.py): each
    change is regenerated, built and the browsers told to reload at once, with no second watcher
    and no second wait for changes to settle."""
    from mkdocs.exceptions import MkDocsException

    from .warm import WarmBuild

    build = WarmBuild(workdir / "mkdocs.yml", workdir / "site", address)
    with _mkdocs_log(echo):
        try:
            build()
            server = _live_reload_server(build, workdir / "site")
        except Exception as problem:  # MkDocs, Material, a Markdown extension, or the address: no traceback
            shown = (
                problem if isinstance(problem, (MkDocsException, OSError)) else f"{type(problem).__name__}: {problem}"
            )
            echo(f"error: cannot start the preview: {shown}")
            build.close()
            return 1
        # A stop (Ctrl-C, SIGTERM) can come at any moment: the server's thread never keeps the process
        # alive, and is shut down from the same try as the watching.
        server.serve_thread.daemon = True
        try:
            server.serve_thread.start()
            echo(f"Serving on {server.url} — edit YAML or templates and the page reloads. Ctrl-C stops.")
            for changes in _changes(space, stopping):
                if changes:
                    space = _regenerated(space, workdir, include_private, echo)
                    _rebuild(server, build, echo)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
            build.close()
    return 0


def _live_reload_server(build: WarmBuild, site: Path) -> LiveReloadServer:
    """MkDocs' server for the built site, listening; it injects the reload script into the pages it
    serves because it has a watched path, but its own (polling) watcher is never started."""
    from .warm import PreviewServer

    host, port = build.load().dev_addr
    server = PreviewServer(builder=build, host=host, port=port, root=str(site))

    def error_page(code: int) -> bytes | None:
        page = site / f"{code}.html"
        return page.read_bytes() if code in (404, 500) and page.is_file() else None

    server.error_handler = error_page
    server.watch(str(site))
    try:
        server.server_bind()
        server.server_activate()
    except OSError:
        server.server_close()
        raise
    return server


def _rebuild(server: LiveReloadServer, build: WarmBuild, echo: Callable[[str], None]) -> None:
    """Build, holding page requests until it is done (as MkDocs' own build loop does), then tell the
    browsers to reload. A failed build is reported and the preview goes on."""
    from mkdocs.livereload import _timestamp

    with server._epoch_cond:
        server._wanted_epoch = _timestamp()
    try:
        build()
    except Exception as failure:  # anything MkDocs, Material or a Markdown extension raises
        echo(f"error: mkdocs failed: {failure}")
        echo("Still serving the last good pages.")
    finally:
        with server._epoch_cond:
            server._visible_epoch = server._wanted_epoch
            server._epoch_cond.notify_all()


@contextmanager
def _mkdocs_log(echo: Callable[[str], None]) -> Iterator[None]:
    """MkDocs' warnings and errors, printed as `mkdocs serve` prints them; its progress lines are not."""
    handler = _Echo(echo)
    logger = logging.getLogger("mkdocs")
    saved = logger.level, logger.propagate
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


class _Echo(logging.Handler):
    def __init__(self, echo: Callable[[str], None]) -> None:
        super().__init__()
        self.echo = echo

    def emit(self, record: logging.LogRecord) -> None:
        self.echo(f"{record.levelname:<8}-  {record.getMessage()}")


def stop(server: subprocess.Popen[bytes], patience: float = 10.0) -> None:
    """Ask the engine's server to stop; kill it if it has not within `patience` seconds."""
    server.terminate()
    try:
        server.wait(timeout=patience)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def remove_stale_workdirs() -> None:
    """Remove the work folders of previews that were killed (their process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*"):
        found = re.match(rf"{WORKDIR_PREFIX}(\d+)-", folder.name)
        if found is None or not folder.is_dir() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
            continue
        try:
            os.kill(int(found.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
