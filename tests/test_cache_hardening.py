"""The result cache is private to its user, trusts no row it did not sign, never crashes on a row,
and misses whenever any file of the generator package changes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import date
from importlib import resources
from pathlib import Path

import pytest
from conftest import REPO, copy_content

from generator.load import cache as cache_module
from generator.load.cache import DATABASE, SECRET, ResultCache, key_for
from generator.model.diagnostics import Report
from generator.workspace.workspace import validate_repository

TODAY = date(2026, 11, 28)
PRIYA = "packets/examples/priya-raman-senior.yaml"
PRIVATE = "packets/2026-h2/priya-private.yaml"
LEVEL = "levels/ic3.yaml"


def summary(report: Report) -> list[tuple[str, int, int, str, str]]:
    return sorted((d.file, d.line, d.column, d.code, d.message) for d in report.diagnostics)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def add_private_packet(repo: Path) -> Path:
    target = repo / PRIVATE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((repo / PRIYA).read_text().replace("visibility: example", "visibility: private"))
    return target


def rows(folder: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(folder / DATABASE) as db:
        return {k: (v, m) for k, v, m in db.execute("SELECT key, value, mac FROM results")}


def write_row(folder: Path, key: str, value: str, mac: str) -> None:
    db = sqlite3.connect(folder / DATABASE)
    with db:
        db.execute("INSERT OR REPLACE INTO results (key, value, mac) VALUES (?, ?, ?)", (key, value, mac))
    db.close()


@pytest.mark.parametrize("umask", [0o000, 0o002, 0o022, 0o077])
def test_folder_0700_and_files_0600_whatever_the_umask(repo: Path, tmp_path: Path, umask: int) -> None:
    folder = tmp_path / "shared" / "handbook-cache"
    previous = os.umask(umask)
    try:
        cache = ResultCache(folder)
        validate_repository(repo, today=TODAY, cache=cache)
        validate_repository(repo, today=TODAY, cache=cache)
    finally:
        os.umask(previous)
    assert mode(folder) == 0o700
    files = sorted(p.name for p in folder.iterdir())
    assert DATABASE in files and SECRET in files
    for path in folder.iterdir():
        assert mode(path) == 0o600, (path.name, oct(mode(path)))
    assert rows(folder), "the cache was used"


def test_a_folder_an_older_version_left_readable_is_made_private(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / "results-v1.sqlite").write_bytes(b"rows from a private packet")
    os.chmod(folder / "results-v1.sqlite", 0o644)
    validate_repository(repo, today=TODAY, cache=ResultCache(folder))
    assert mode(folder) == 0o700
    assert not (folder / "results-v1.sqlite").exists()
    assert all(mode(p) == 0o600 for p in folder.iterdir())


@pytest.mark.parametrize("folder_mode", [0o777, 0o775, 0o757, 0o1777, 0o720])
def test_a_folder_others_can_write_is_not_used(repo: Path, tmp_path: Path, folder_mode: int) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    os.chmod(folder, folder_mode)
    warnings: list[str] = []
    cache = ResultCache(folder, warn=warnings.append)
    report = validate_repository(repo, today=TODAY, cache=cache)
    assert cache.connection is None and report.diagnostics == ()
    assert len(warnings) == 1 and "can be written by other users" in warnings[0]
    assert list(folder.iterdir()) == []


def test_a_folder_of_another_user_is_not_used(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    if os.getuid() == 0:
        os.chown(folder, 65534, 65534)
    else:
        real = os.getuid()
        monkeypatch.setattr(os, "getuid", lambda: real + 1)
    warnings: list[str] = []
    cache = ResultCache(folder, warn=warnings.append)
    validate_repository(repo, today=TODAY, cache=cache)
    assert cache.connection is None
    assert len(warnings) == 1 and "another user" in warnings[0]
    assert list(folder.iterdir()) == []


def test_a_symlinked_database_or_secret_is_refused(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere.sqlite"
    elsewhere.write_bytes(b"")
    os.symlink(elsewhere, folder / DATABASE)
    warnings: list[str] = []
    cache = ResultCache(folder, warn=warnings.append)
    assert cache.connection is None and warnings
    assert validate_repository(repo, today=TODAY, cache=cache).diagnostics == ()


def test_the_cli_warns_and_still_validates_with_an_unsafe_cache(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    os.chmod(folder, 0o777)
    result = subprocess.run(
        [sys.executable, "-m", "generator", "validate", "--today", "2026-11-28"],
        cwd=repo,
        env={**os.environ, "HANDBOOK_CACHE_DIR": str(folder)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "warning: not using the result cache" in result.stderr and "Traceback" not in result.stderr


def test_an_edited_row_cannot_publish_a_private_packet(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    private = add_private_packet(repo)
    validate_repository(repo, today=TODAY, cache=ResultCache(folder))
    key = key_for("packet", private.read_bytes())
    value, mac = rows(folder)[key]
    assert json.loads(value)["data"]["visibility"] == "private"
    forged = value.replace('"visibility": "private"', '"visibility": "example"')
    for forged_mac in (mac, "0" * 64, ""):  # the old signature, a made-up one, none
        write_row(folder, key, forged, forged_mac)
        cache = ResultCache(folder)
        assert cache.get_many([key]) == {}
        packets = {p.file: p for p in validate_repository(repo, today=TODAY, cache=cache).handbook.packets}
        assert packets[PRIVATE].visibility == "private"
    # Even a row signed with the real secret cannot make a packet public: that is read from the bytes.
    cache = ResultCache(folder)
    write_row(folder, key, forged, cache._mac(key, forged))
    assert key in cache.get_many([key])
    packets = {p.file: p for p in validate_repository(repo, today=TODAY, cache=cache).handbook.packets}
    assert packets[PRIVATE].visibility == "private"


def test_rows_signed_by_another_users_secret_are_misses(repo: Path, tmp_path: Path) -> None:
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    validate_repository(repo, today=TODAY, cache=ResultCache(theirs))
    ResultCache(mine)
    for key, (value, mac) in rows(theirs).items():
        write_row(mine, key, value, mac)
    assert ResultCache(mine).get_many(list(rows(theirs))) == {}


GOOD_DIAGNOSTIC = {
    "file": "x",
    "message": "m",
    "code": "c",
    "severity": "error",
    "pointer": [],
    "line": 1,
    "column": 1,
    "on_key": False,
}
WRONG_ROWS: list[object] = [
    None,
    1,
    "text",
    [],
    {},
    {"loaded": True},
    {"loaded": True, "data": {}, "diagnostics": [], "clean": True, "extra": 1},
    {"loaded": "yes", "data": {}, "diagnostics": [], "clean": True},
    {"loaded": True, "data": [], "diagnostics": [], "clean": True},
    {"loaded": True, "data": None, "diagnostics": [], "clean": True},
    {"loaded": False, "data": {"id": "ic3"}, "diagnostics": [], "clean": False},
    {"loaded": True, "data": {}, "diagnostics": {}, "clean": False},
    {"loaded": True, "data": {}, "diagnostics": [1], "clean": False},
    {"loaded": True, "data": {}, "diagnostics": [{"message": "m"}], "clean": False},
    {"loaded": True, "data": {}, "diagnostics": [{**GOOD_DIAGNOSTIC, "extra": 1}], "clean": False},
    {"loaded": True, "data": {}, "diagnostics": [{**GOOD_DIAGNOSTIC, "line": "1"}], "clean": False},
    {"loaded": True, "data": {}, "diagnostics": [{**GOOD_DIAGNOSTIC, "line": True}], "clean": False},
    {"loaded": True, "data": {}, "diagnostics": [{**GOOD_DIAGNOSTIC, "pointer": [{}]}], "clean": False},
    {"loaded": True, "data": {}, "diagnostics": [{**GOOD_DIAGNOSTIC, "pointer": "a"}], "clean": False},
    {"loaded": True, "data": {}, "diagnostics": [{**GOOD_DIAGNOSTIC, "severity": "fatal"}], "clean": False},
    {"loaded": True, "data": {}, "diagnostics": [{**GOOD_DIAGNOSTIC, "message": None}], "clean": False},
]


@pytest.fixture(scope="module")
def without_a_cache(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, int, int, str, str]]:
    """The default handbook's problems validated without a cache: what every planted row must give."""
    return summary(validate_repository(copy_content(tmp_path_factory.mktemp("pristine") / "handbook"), today=TODAY))


@pytest.mark.parametrize("row", WRONG_ROWS, ids=[json.dumps(r)[:60] for r in WRONG_ROWS])
@pytest.mark.parametrize("target", [LEVEL, PRIYA, "rubrics/dimensions/delivery.yaml", "site_config/handbook.yaml"])
def test_a_wrongly_shaped_row_is_a_miss_never_a_crash(
    repo: Path, tmp_path: Path, row: object, target: str, without_a_cache: list[tuple[str, int, int, str, str]]
) -> None:
    folder = tmp_path / "cache"
    expected = without_a_cache
    cache = ResultCache(folder)
    kind = {"levels": "level", "packets": "packet", "rubrics": "dimension", "site_config": "settings"}[
        target.split("/")[0]
    ]
    key = key_for(kind, (repo / target).read_bytes())
    value = json.dumps(row)
    write_row(folder, key, value, cache._mac(key, value))  # signed: only the shape check stands in the way
    report = validate_repository(repo, today=TODAY, cache=ResultCache(folder))
    assert summary(report) == expected
    assert report.handbook.settings is not None and len(report.handbook.levels) == 7


def test_a_row_that_is_not_json_is_a_miss(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    cache = ResultCache(folder)
    key = key_for("level", (repo / LEVEL).read_bytes())
    for value in ("{not json", "[" * 100_000):
        write_row(folder, key, value, cache._mac(key, value))
        assert summary(validate_repository(repo, today=TODAY, cache=ResultCache(folder))) == []


# A copy of the generator package, imported in a child process: it says whether one file's result
# was in the cache before validating, then validates (filling the cache).
PROBE = textwrap.dedent("""
    import sys
    from datetime import date
    from pathlib import Path
    import generator
    from generator.load.cache import ResultCache, key_for
    from generator.workspace.workspace import validate_repository
    assert Path(generator.__file__).resolve().parent == Path(sys.argv[1]).resolve(), generator.__file__
    repo, folder = Path(sys.argv[2]), Path(sys.argv[3])
    cache = ResultCache(folder)
    key = key_for("level", (repo / "levels/ic3.yaml").read_bytes())
    print("hit" if cache.get_many([key]) else "miss")
    validate_repository(repo, today=date(2026, 11, 28), cache=cache)
""")


@pytest.mark.parametrize(
    "change",
    [
        ("check/schemas/level.schema.json", lambda text: text.replace('"type": "object"', '"type":  "object"', 1)),
        ("check/rules.py", lambda text: text + "\n# a changed rule\n"),
        ("render/text.py", lambda text: text + "\n# a change deep in the package\n"),
        ("new_module.py", None),
    ],
)
def test_changing_any_file_of_the_package_is_a_miss(
    repo: Path, tmp_path: Path, change: tuple[str, Callable[[str], str] | None]
) -> None:
    install = tmp_path / "install"
    package = install / "generator"
    # with its compiled modules (still valid: copy2 keeps the sources' times), so each probe does not
    # compile the whole package again; the fingerprint skips __pycache__ (a test below says so)
    shutil.copytree(REPO / "generator", package)
    folder = tmp_path / "cache"

    def probe() -> str:
        result = subprocess.run(
            [sys.executable, "-c", PROBE, str(package), str(repo), str(folder)],
            env={**os.environ, "PYTHONPATH": str(install)},
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert probe() == "miss"
    assert probe() == "hit"
    name, rewrite = change
    target = package / name
    target.write_text(rewrite(target.read_text()) if rewrite else "# new\n")
    assert probe() == "miss"
    assert probe() == "hit"


def test_the_fingerprint_walks_the_package_rather_than_a_list() -> None:
    source = (REPO / "generator/load/cache.py").read_text()
    assert "_CODE = (" not in source
    names = [name for name, _ in cache_module._package_files(resources.files("generator"))]
    assert {"check/rules.py", "cli/__init__.py", "render/text.py", "check/schemas/packet.schema.json"} <= set(names)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def test_a_secret_this_program_did_not_write_is_refused(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    (folder / SECRET).write_bytes(b"short")
    warnings: list[str] = []
    cache = ResultCache(folder, warn=warnings.append)
    assert cache.connection is None and "remove it" in warnings[0]
    assert validate_repository(repo, today=TODAY, cache=cache).diagnostics == ()


def test_first_runs_in_parallel_agree_on_the_secret(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    script = "import sys; from pathlib import Path; from generator.load.cache import ResultCache; ResultCache(Path(sys.argv[1]))"
    runs = [subprocess.Popen([sys.executable, "-c", script, str(folder)]) for _ in range(4)]
    assert all(run.wait(timeout=60) == 0 for run in runs)
    assert len((folder / SECRET).read_bytes()) == 32
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".secret-")) == []
