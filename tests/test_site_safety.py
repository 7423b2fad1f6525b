"""Where a build may write: refusals, interrupted and concurrent builds, serve's work folder, and
failures (binary assets, read-only folders, links in history, git, templates) without tracebacks."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CACHE_DIR, FIXED_TODAY, REPO, commit, copy_content, edit, git, invoke, override_template, run_cli
from test_privacy import private_packet
from test_serve import SERVE_ENV, fetch, free_port, stop_serve, wait_for

from generator.site import site_folder
from generator.site.serve import WORKDIR_PREFIX, stop
from generator.site.site_folder import MARKER, STAGING

ENV = {**os.environ, "HANDBOOK_TODAY": FIXED_TODAY, "NO_MKDOCS_2_WARNING": "1", "HANDBOOK_CACHE_DIR": CACHE_DIR}


def listing(folder: Path) -> dict[str, bytes | str]:
    """Every entry below folder (links not followed) with its content or kind."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[relative] = f"link to {os.readlink(path)}"
        elif path.is_file():
            found[relative] = path.read_bytes()
        else:
            found[relative] = "folder" if path.is_dir() else "other"
    return found


def complete(site: Path, level: str = "ic4") -> bool:
    return (
        (site / MARKER).is_file()
        and (site / "index.html").is_file()
        and (site / f"levels/{level}/index.html").is_file()
    )


@pytest.fixture(scope="module")
def new_handbook_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `handbook init` makes: two levels and two dimensions, a third of the default handbook's
    build time, for tests about which folders a build replaces, where the content does not matter."""
    root = tmp_path_factory.mktemp("init") / "handbook"
    made = invoke("init", root, "--name", "Acme", cwd=root.parent)
    assert made.returncode == 0, made.stderr
    return root


@pytest.fixture
def new_handbook(new_handbook_template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(new_handbook_template, tmp_path / "handbook", symlinks=True))


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output, output
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


# --- 1. Which folders a build may replace -------------------------------------------------------


def _unrelated(repo: Path) -> str:
    (repo / "notes").mkdir()
    (repo / "notes" / "thesis.txt").write_text("years of work")
    return "notes"


def _unrelated_with_index(repo: Path) -> str:  # looks like a site, but no build made it
    (repo / "site").mkdir()
    (repo / "site" / "index.html").write_text("<p>hand-written</p>")
    return "site"


def _fifo(repo: Path) -> str:
    os.mkfifo(repo / "pipe")
    return "pipe"


def _link_to_built_site(repo: Path) -> str:
    (repo / "real").mkdir()
    (repo / "real" / MARKER).write_text("made by a build")
    (repo / "link").symlink_to(repo / "real")
    return "link"


def _link_to_packets(repo: Path) -> str:
    (repo / "site").symlink_to(repo / "packets")
    return "site"


def _dangling_link(repo: Path) -> str:
    (repo / "site").symlink_to(repo / "nowhere")
    return "site"


def _through_a_linked_parent(repo: Path) -> str:
    (repo / "out").symlink_to(repo / "levels")
    return "out/site"


def _above_the_repository(repo: Path) -> str:
    return ".."


def _filesystem_root(repo: Path) -> str:
    return "/"


def _device(repo: Path) -> str:
    return "/dev/null"


def _fixed(path: str) -> Callable[[Path], str]:
    return lambda repo: path


REFUSED = [
    (_fixed("."), "refusing to build into the repository"),
    (_above_the_repository, "refusing to build into the repository or a folder above it"),
    (_filesystem_root, "filesystem root"),
    (_fixed("packets"), "inside packets/"),
    (_fixed("packets/examples"), "inside packets/"),
    (_fixed("rubrics/site"), "inside rubrics/"),
    (_fixed("levels"), "inside levels/"),
    (_fixed("site_config/assets"), "inside site_config/"),
    (_fixed(".git/site"), "inside .git/"),
    (_fixed(f"{STAGING}/site"), f"inside {STAGING}/"),
    (_unrelated, "did not make"),
    (_unrelated_with_index, "did not make"),
    (_fifo, "named pipe"),
    (_device, "character device"),
    (_link_to_built_site, "symbolic link"),
    (_link_to_packets, "symbolic link"),
    (_dangling_link, "symbolic link"),
    (_through_a_linked_parent, "inside levels/"),
]


@pytest.mark.parametrize("private", [False, True], ids=["public", "internal"])
@pytest.mark.parametrize(
    "make, message",
    REFUSED,
    ids=[
        "repository",
        "above-repository",
        "filesystem-root",
        "packets",
        "packets-examples",
        "inside-rubrics",
        "levels",
        "site-config-assets",
        "inside-git",
        "inside-staging",
        "unrelated-files",
        "unrelated-index-html",
        "fifo",
        "device",
        "link-to-built-site",
        "link-to-packets",
        "dangling-link",
        "through-linked-parent",
    ],
)
def test_build_refuses_a_site_folder_it_must_not_replace(
    tmp_path: Path, make: Callable[[Path], str], message: str, private: bool
) -> None:
    repo = copy_content(tmp_path / "handbook")
    target = make(repo)
    before, outside = listing(repo), listing(tmp_path)
    args = ["build", "--site-dir", target] + (["--include-private"] if private else [])
    if make in (_fifo, _device):  # in a process of its own, with a timeout: a FIFO must not hang the build
        result = run_cli(*args, cwd=repo, timeout=120)
    else:
        result = invoke(*args, cwd=repo)
    assert_clean_failure(result, 2, "error: ", message)
    assert listing(repo) == before, "a refused build must not touch the repository"
    assert listing(tmp_path) == outside


def test_regular_file_as_site_folder_is_refused(repo: Path) -> None:
    (repo / "site").write_text("not a folder")
    result = invoke("build", cwd=repo)
    assert_clean_failure(result, 2)
    assert (repo / "site").read_text() == "not a folder"


@pytest.mark.parametrize("private", [False, True], ids=["public", "internal"])
@pytest.mark.parametrize("state", ["missing", "empty", "built-before"])
def test_build_replaces_nothing_an_empty_folder_or_its_own_site(new_handbook: Path, state: str, private: bool) -> None:
    repo = new_handbook
    site = repo / ("site-internal" if private else "site")
    if state in ("empty", "built-before"):
        site.mkdir()
    if state == "built-before":
        (site / MARKER).write_text("made by a build")
        (site / "stale.html").write_text("from the previous build")
    result = invoke("build", *(["--include-private"] if private else []), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert complete(site, "senior-engineer") and not (site / "stale.html").exists()
    again = invoke("build", *(["--include-private"] if private else []), cwd=repo)
    assert again.returncode == 0, again.stderr  # a site a build made is replaced by the next one
    assert sorted(p.name for p in (repo / STAGING).iterdir()) == [".gitignore", f"{site.name}.lock"]


def test_site_folder_outside_the_repository(tmp_path: Path, repo: Path) -> None:
    out = tmp_path / "published" / "handbook"
    result = invoke("build", "--site-dir", str(out), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert complete(out)
    assert stat.S_IMODE((out.parent / STAGING).stat().st_mode) == 0o700


def immutable(folder: Path) -> Callable[[], None] | None:
    """Make folder unwritable even for root (chattr +i); None when this system cannot."""
    folder.chmod(0o555)
    probe = folder / "probe"
    try:
        probe.mkdir()
    except OSError:
        return lambda: folder.chmod(0o755)
    probe.rmdir()
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:

        def unlock() -> None:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
            folder.chmod(0o755)

        return unlock
    folder.chmod(0o755)
    return None


@pytest.mark.parametrize("target", ["locked/site", "locked/deeper/site"])
def test_read_only_parent_of_the_site_folder_is_a_clear_error(repo: Path, target: str) -> None:
    (repo / "locked").mkdir()
    undo = immutable(repo / "locked")
    if undo is None:
        pytest.skip("cannot make a folder read-only here")
    try:
        result = invoke("build", "--site-dir", target, cwd=repo)
    finally:
        undo()
    assert_clean_failure(result, 2, "error: cannot write beside the site folder")
    assert list((repo / "locked").iterdir()) == []


# --- 2. Interrupted and concurrent builds -------------------------------------------------------


def start_build(repo: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "build", *args],
        cwd=repo,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def untracked(repo: Path) -> list[str]:
    return git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()


@pytest.mark.parametrize("gitignore", [True, False], ids=["project-gitignore", "no-gitignore"])
def test_kill_9_mid_build_keeps_a_complete_site_and_leaves_nothing_for_git(tmp_path: Path, gitignore: bool) -> None:
    repo = copy_content(tmp_path / "handbook")
    private_packet(repo / "packets" / "2026-h2", "zqxmarkerslug")
    if gitignore:
        shutil.copy(REPO / ".gitignore", repo / ".gitignore")
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "handbook")
    site = repo / "site-internal"
    args = ("--include-private",)
    started = time.monotonic()
    assert run_cli("build", *args, cwd=repo).returncode == 0
    duration = time.monotonic() - started

    gaps: list[float] = []
    watching = True

    def watch() -> None:  # the site path must hold a complete site at every instant
        while watching:
            if not complete(site):
                gaps.append(time.monotonic())
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    # Kill points spread over a whole build (starting, rendering, writing, replacing the site) rather
    # than drawn at random: as many phases with fewer builds. Without .gitignore only git's view at
    # the end differs, so fewer.
    fractions = (0.15, 0.4, 0.65, 0.9) if gitignore else (0.3, 0.8)
    try:
        for fraction in fractions:
            build = start_build(repo, *args)
            time.sleep(max(0.1, fraction * duration))
            os.killpg(build.pid, signal.SIGKILL)
            build.communicate()
            assert complete(site)
            leftovers = [p for p in (repo / STAGING).iterdir() if p.name.startswith("site-internal.new-")]
            assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in leftovers), "private pages must stay 0700"
            assert stat.S_IMODE((repo / STAGING).stat().st_mode) == 0o700
            assert not [line for line in untracked(repo) if STAGING in line or ".site" in line], untracked(repo)
        result = invoke("build", *args, cwd=repo)  # the next build, in-process: no kill here
    finally:
        watching = False
        watcher.join()
    assert result.returncode == 0, result.stderr
    assert gaps == [], "the site folder was missing or incomplete for a moment"
    assert complete(site)
    assert sorted(p.name for p in (repo / STAGING).iterdir()) == [".gitignore", "site-internal.lock"]
    assert not [p for p in repo.iterdir() if p.name.startswith(".site")]
    # Without the project's .gitignore only the site itself shows; the work folder ignores itself.
    assert all(line.startswith("?? site-internal/") for line in untracked(repo)), untracked(repo)
    if gitignore:
        assert untracked(repo) == []


def test_leftovers_of_the_old_layout_are_removed(repo: Path) -> None:
    """Folders the previous version left beside the site (private pages among them) go at the next build."""
    for name in (".site-build-abcd1234", ".site-old-4242"):
        (repo / name / "packets").mkdir(parents=True)
        (repo / name / "packets" / "private.html").write_text("Zqxmarker private")
    (repo / STAGING / "docs").mkdir(parents=True)
    (repo / STAGING / "docs" / "private.md").write_text("Zqxmarker private")
    (repo / STAGING / "mkdocs.yml").write_text("site_name: x\n")
    (repo / ".site-build-notmine").mkdir()  # not a name the old version made: kept
    result = invoke("build", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "leftover folders of interrupted builds" in result.stderr
    assert not (repo / ".site-build-abcd1234").exists() and not (repo / ".site-old-4242").exists()
    assert not (repo / STAGING / "docs").exists() and not (repo / STAGING / "mkdocs.yml").exists()
    assert (repo / ".site-build-notmine").is_dir()


def test_a_second_build_waits_for_the_first_and_says_so(repo: Path) -> None:
    import fcntl

    assert invoke("build", cwd=repo).returncode == 0
    lock = os.open(repo / STAGING / "site.lock", os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)
    os.pwrite(lock, b"4242\n", 0)
    try:
        waiting = start_build(repo)
        assert waiting.stderr is not None
        line = ""
        while "waiting" not in line:
            line = waiting.stderr.readline()
            assert line, "the build ended without waiting"
        assert "Another build is writing site (process 4242); waiting for it to finish" in line
        time.sleep(1)
        assert waiting.poll() is None, "the build must wait while the lock is held"
    finally:
        os.close(lock)
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert complete(repo / "site")


def test_two_builds_at_once_both_succeed(repo: Path) -> None:
    first, second = start_build(repo), start_build(repo)
    results = [(p.wait(timeout=300), p.communicate()[1]) for p in (first, second)]
    assert [code for code, _ in results] == [0, 0], results
    assert any("waiting for it to finish" in err for _, err in results)
    assert not any("Traceback" in err for _, err in results)
    assert complete(repo / "site")


def test_without_an_atomic_exchange_an_interrupted_swap_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Systems without renameat2/renamex_np use two renames; a kill between them leaves the new
    site in the work folder, and the next build puts it back before anything else."""
    site = tmp_path / "site"
    site.mkdir()
    (site / MARKER).write_text("old")
    monkeypatch.setattr(site_folder, "exchange", lambda a, b: False)
    staging = site_folder.staging_folder(tmp_path)
    workspace = site_folder.new_workspace(staging, site)
    (workspace / "site").mkdir()
    site_folder.mark(workspace / "site")
    (workspace / "site" / "new.html").write_text("new")
    site_folder.put_in_place(tmp_path, workspace / "site", site)
    assert (site / "new.html").is_file() and (workspace / "old" / MARKER).read_text() == "old"

    site.rename(workspace / "site")  # as if killed between the two renames
    messages: list[str] = []
    with site_folder.locked(site, messages.append):
        assert (site / "new.html").is_file()
    assert not workspace.exists()
    assert messages[0] == f"Restored {site} from an interrupted build"


# --- serve's work folder --------------------------------------------------------------------------


def serve_workdirs(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}{pid}-*"))


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_serve_include_private_keeps_private_pages_outside_the_repository_and_removes_them(
    repo: Path, stop_signal: signal.Signals
) -> None:
    private_packet(repo / "packets" / "2026-h2", "zqxmarkerslug")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = Path(tempfile.gettempdir()) / f"{WORKDIR_PREFIX}{dead.pid}-stale"
    stale.mkdir(exist_ok=True)  # what a killed preview left
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--include-private", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=repo,
        env={**SERVE_ENV, "HANDBOOK_CACHE_DIR": CACHE_DIR},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert wait_for(lambda: fetch(f"http://127.0.0.1:{port}/") is not None), "server never answered"
        [workdir] = serve_workdirs(server.pid)
        assert stat.S_IMODE(workdir.stat().st_mode) == 0o700
        assert any("Zqxmarker" in p.read_text() for p in workdir.rglob("*.md")), "private pages are previewed"
        assert not stale.exists(), "a killed preview's folder is removed by the next"
        assert not (repo / STAGING).exists()
        assert not [p for p in repo.rglob("*.md")], "no generated Markdown in the repository"
    finally:
        output = stop_serve(server, stop_signal)
    assert "Traceback" not in output, output
    assert serve_workdirs(server.pid) == []


def test_serve_kills_an_engine_that_ignores_terminate() -> None:
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, sys, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\n"
            "time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
    )
    assert stubborn.stdout is not None
    assert stubborn.stdout.readline() == b"ready\n"
    started = time.monotonic()
    stop(stubborn, patience=0.1)  # wait(timeout) raised TimeoutExpired here before
    stubborn.stdout.close()
    assert stubborn.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 10


# --- 9. Failures reported without tracebacks --------------------------------------------------------

BINARY_ASSETS = {
    "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "fonts/brand.woff2": b"wOF2\x00\x01\x00\x00\xff\xfe\xc3\x28",
    "favicon.ico": b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x80\x81",
}


def test_binary_assets_are_copied_as_bytes(repo: Path) -> None:
    for name, data in BINARY_ASSETS.items():
        target = repo / "site_config" / "assets" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    result = invoke("build", cwd=repo)
    assert result.returncode == 0, result.stderr
    for name, data in BINARY_ASSETS.items():
        assert (repo / "site" / "assets" / name).read_bytes() == data
    assert (
        (repo / "site" / "assets" / "handbook.css")
        .read_text("utf-8")
        .startswith((REPO / "generator" / "render" / "templates" / "assets" / "handbook.css").read_text("utf-8")[:40])
    )


LINKS = {
    "absolute": ("rubrics/dimensions/passwd.yaml", "/etc/passwd"),
    "escaping": ("rubrics/metrics/up.yaml", "../../../../../../etc/hostname"),
    "dangling": ("levels/ghost.yaml", "nowhere.yaml"),
    "inside": ("levels/alias.yaml", "ic4.yaml"),
    "folder": ("rubrics/etc", "/etc"),
}


@pytest.mark.parametrize("kind", LINKS)
def test_a_link_anywhere_in_rubric_history_is_a_warning_not_a_crash(git_repo: Path, kind: str) -> None:
    repo = git_repo
    name, target = LINKS[kind]
    (repo / name).symlink_to(target)
    # a criteria version declared at the commit holding the link: the changelog reads that commit
    edit(repo / "site_config/handbook.yaml", "criteria_version: 1.3.0", "criteria_version: 1.4.0")
    commit(repo, "a link")
    edit(
        repo / "rubrics/dimensions/reliability.yaml",
        "Shapes on-call for several teams",
        "Shapes on-call for many teams",
    )
    edit(repo / "site_config/handbook.yaml", "criteria_version: 1.4.0", "criteria_version: 1.5.0")
    (repo / name).unlink()
    commit(repo, "link removed, wording changed")  # 1.4.0 stays the commit with the link (its latest)
    result = invoke("build", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"warning: {name} at commit " in result.stderr and "leaves it out" in result.stderr
    assert result.stderr.count(f"warning: {name}") == 1, "one warning per file, not per commit"
    diff = invoke("diff", "HEAD~2", "HEAD~1", cwd=repo)
    assert diff.returncode == 0 and "Traceback" not in diff.stderr, diff.stderr


def test_git_archive_failing_is_a_clear_error(git_repo: Path) -> None:
    repo = git_repo
    old_blob = git(repo, "rev-parse", "HEAD:rubrics/dimensions/reliability.yaml").strip()
    edit(
        repo / "rubrics/dimensions/reliability.yaml",
        "Shapes on-call for several teams",
        "Shapes on-call for many teams",
    )
    edit(repo / "site_config/handbook.yaml", "criteria_version: 1.3.0", "criteria_version: 1.4.0")
    commit(repo, "wording")  # 1.3.0 stays the first commit, whose file is damaged below
    (repo / ".git" / "objects" / old_blob[:2] / old_blob[2:]).unlink()  # a damaged repository
    (repo / "site").mkdir()
    (repo / "site" / MARKER).write_text("made by a build")
    result = invoke("build", cwd=repo)
    assert_clean_failure(result, 1, "error: cannot read the criteria history from git: ")
    assert "CalledProcessError" not in result.stderr
    assert [p.name for p in (repo / "site").iterdir()] == [MARKER], "the previous site stays"


TEMPLATE_FAULTS = {
    "undefined": "{{ no_such_thing.field }}",
    "syntax": "{% if %}",
    "type": "{{ 1 + 'a' }}",
    "filter": "{{ 'x' | no_such_filter }}",
}


@pytest.mark.parametrize("fault", TEMPLATE_FAULTS)
@pytest.mark.parametrize(
    "template, line, command",
    [
        ("reports/governance.txt.j2", 3, ["governance"]),
        ("reports/governance.md.j2", 3, ["governance", "--format", "markdown"]),
        ("reports/readiness.txt.j2", 3, ["readiness", "packets/examples/priya-raman-senior.yaml"]),
        ("reports/stats.txt.j2", 3, ["stats"]),
        ("new_packet.yaml.j2", 3, ["new", "packet", "--candidate", "Ada Lovelace", "--target", "ic4"]),
        ("level.md.j2", 4, ["build"]),  # inside its block: a child template renders only its blocks
    ],
    ids=["governance-text", "governance-markdown", "readiness", "stats", "new-packet", "site-page"],
)
def test_an_error_in_any_template_names_file_and_line(
    repo: Path, template: str, line: int, command: list[str], fault: str
) -> None:
    path = override_template(repo, template)
    lines = path.read_text("utf-8").splitlines(keepends=True)
    lines.insert(line - 1, TEMPLATE_FAULTS[fault] + "\n")
    path.write_text("".join(lines), "utf-8")
    packets = listing(repo / "packets")
    result = invoke(*command, cwd=repo)
    assert_clean_failure(result, 1, f"{Path(template).name}:{line}: template error")
    assert listing(repo / "packets") == packets, "nothing is written"
    assert not (repo / "site").exists()
