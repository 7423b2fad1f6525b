"""The preview's warm MkDocs build (site/warm.py) makes, after any series of edits, the site a cold
`mkdocs build` makes of the same pages, and renders again only what changed."""

from __future__ import annotations

import json
import socket
import stat
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXED_TODAY, compiled_templates, edit, run_cli

from generator.site.publish import prepare_sources
from generator.site.warm import BYTECODE, PreviewServer, WarmBuild
from generator.workspace.workspace import Workspace

ADDRESS = "127.0.0.1:8765"


def regenerate(repo: Path, workdir: Path) -> set[str]:
    """Generate the pages into workdir; the pages whose Markdown changed."""
    docs = workdir / "docs"
    before = {p.relative_to(docs).as_posix(): p.read_text("utf-8") for p in docs.rglob("*.md")} if docs.is_dir() else {}
    prepare_sources(Workspace.find(repo, None, date.fromisoformat(FIXED_TODAY)), workdir, False)
    after = {p.relative_to(docs).as_posix(): p.read_text("utf-8") for p in docs.rglob("*.md")}
    return {page for page, text in after.items() if before.get(page) != text}


def cold_build(workdir: Path, site: Path) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(workdir / "mkdocs.yml"), site_dir=str(site), dev_addr=ADDRESS, strict=False)
    config.plugins.on_startup(command="serve", dirty=False)
    config.site_url = f"http://{ADDRESS}/"
    build(config, serve_url=config.site_url)


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def html_of(page: str) -> str:
    return "index.html" if page == "index.md" else page.removesuffix(".md").removesuffix("/index") + "/index.html"


def test_warm_rebuilds_make_the_site_a_cold_build_makes(repo: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    regenerate(repo, workdir)
    warm = WarmBuild(workdir / "mkdocs.yml", workdir / "site", ADDRESS)
    warm()
    pages = workdir / "site"
    written = {path: (pages / html_of(path)).stat().st_mtime_ns for path in regenerate(repo, workdir) | {"index.md"}}

    edit(
        repo / "rubrics/dimensions/reliability.yaml",
        "Shapes on-call for several teams",
        "Shapes on-call for every team",
    )
    changed = regenerate(repo, workdir)
    assert changed and "index.md" not in changed
    warm()
    assert (pages / html_of("index.md")).stat().st_mtime_ns == written["index.md"], "an unchanged page was rendered"
    assert "Shapes on-call for every team" in (pages / "levels/ic4/index.html").read_text("utf-8")

    (repo / "packets/examples/jonas-berg-staff.yaml").unlink()  # a page goes, the navigation changes
    regenerate(repo, workdir)
    warm()
    assert not (pages / "packets/jonas-berg-staff/index.html").exists()

    cold = tmp_path / "cold"
    cold_build(workdir, cold)
    warm_files, cold_files = site_files(pages), site_files(cold)
    assert sorted(warm_files) == sorted(cold_files)
    different = [name for name in cold_files if warm_files[name] != cold_files[name] and not name.endswith(".gz")]
    assert different == []
    index = json.loads(warm_files["search/search_index.json"])
    locations = [doc["location"] for doc in index["docs"]]
    assert len(locations) == len(set(locations)), "the search index holds every page once"


def test_the_theme_bytecode_is_kept_in_memory_and_in_the_private_cache_only(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(cache))
    monkeypatch.setattr(BYTECODE, "compiled", {})  # a new process
    workdir = tmp_path / "work"
    regenerate(repo, workdir)
    WarmBuild(workdir / "mkdocs.yml", workdir / "site", ADDRESS)()
    assert BYTECODE.compiled, "the theme's templates were compiled into the cache"
    kept = sorted((cache / "templates").glob("theme-*.cache"))
    assert len(kept) == len(BYTECODE.compiled)
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in kept)
    assert sorted(p.name for p in workdir.iterdir()) == ["docs", "mkdocs.yml", "site"]
    outside = [p for p in tmp_path.rglob("*") if cache not in p.parents]
    assert not [p for p in outside if p.suffix in (".cache", ".pyc") or p.name.startswith(("__jinja2_", "theme-"))]


def test_a_new_process_loads_the_kept_theme_templates_instead_of_compiling_them(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(BYTECODE, "compiled", {})
    workdir = tmp_path / "work"
    regenerate(repo, workdir)
    WarmBuild(workdir / "mkdocs.yml", workdir / "site", ADDRESS)()
    first = dict(BYTECODE.compiled)
    monkeypatch.setattr(BYTECODE, "compiled", {})  # the next `handbook build`, a process of its own
    compiled = compiled_templates(monkeypatch)
    WarmBuild(workdir / "mkdocs.yml", workdir / "site-again", ADDRESS)()
    assert compiled == [] and BYTECODE.compiled == first
    assert (workdir / "site-again" / "index.html").read_bytes() == (workdir / "site" / "index.html").read_bytes()


def test_the_preview_lets_browsers_keep_only_fingerprinted_theme_files(tmp_path: Path) -> None:
    files = {
        "assets/javascripts/bundle.a5f9d56c.min.js": True,  # its name changes with its content
        "assets/stylesheets/main.57a0d79d.min.css": True,
        "assets/handbook.css": False,  # the organisation's: edited under the same name
        "levels/ic4/index.html": False,
    }
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", "utf-8")
    server = PreviewServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path))
    try:
        for name, kept in files.items():
            status, headers, body = request(server, "/" + name)
            assert (status, body) == ("200 OK", b"x")
            assert (("Cache-Control", "max-age=86400, immutable") in headers) == kept, name
    finally:
        server.server_close()


def request(server: PreviewServer, path: str) -> tuple[str, list[tuple[str, str]], bytes]:
    sent: list[tuple[str, list[tuple[str, str]]]] = []
    answer = server.serve_request({"PATH_INFO": path}, lambda status, headers, *rest: sent.append((status, headers)))
    try:
        body = b"".join(answer)
    finally:
        getattr(answer, "close", lambda: None)()
    [(status, headers)] = sent
    return status, headers, body


def test_serve_on_an_address_in_use_says_so_in_one_line(repo: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--dev-addr", f"127.0.0.1:{port}", cwd=repo, timeout=120)
    assert result.returncode == 1
    assert "error: cannot start the preview:" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
