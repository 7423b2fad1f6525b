"""The page templates' compiled bytecode is kept in the user's private cache folder, and any problem
with it means compiling again, never a failure."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import jinja2
import pytest
from conftest import compiled_templates

from generator.render.pages import environment

SCHEMES = frozenset({"https"})


def test_compiled_templates_go_to_a_private_folder_of_the_cache_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(tmp_path / "cache"))
    environment(tmp_path / "overrides-1", SCHEMES).get_template("packet.md.j2")
    folder = tmp_path / "cache" / "templates"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    entries = list(folder.iterdir())
    assert entries and all(p.name.startswith("page-") and p.suffix == ".cache" for p in entries)
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in entries)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"], "nothing written anywhere else"


def test_a_damaged_entry_is_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(tmp_path / "cache"))
    environment(tmp_path / "overrides-1", SCHEMES).get_template("_macros.md.j2")
    for entry in (tmp_path / "cache" / "templates").iterdir():
        magic = entry.read_bytes()[: len(jinja2.bccache.bc_magic)]
        entry.write_bytes(magic + b"\xff not a checksum")  # pickle cannot read it
    macros = environment(tmp_path / "overrides-2", SCHEMES).get_template("_macros.md.j2")
    assert macros.module.plural(2, "packet") == "2 packets"  # type: ignore[attr-defined]


def test_without_a_usable_cache_folder_templates_are_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", "utf-8")
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(blocker / "cache"))
    env = environment(tmp_path / "overrides-3", SCHEMES)
    assert env.bytecode_cache is None
    assert env.get_template("_macros.md.j2").module.plural(1, "packet") == "1 packet"  # type: ignore[attr-defined]


def test_report_templates_are_compiled_once_and_kept_apart_from_page_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report's code depends on its environment (every value goes through its finalize), so its
    entries must never be the pages' entries for a template of the same name."""
    from generator.report.commands import report_environment

    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(tmp_path / "cache"))
    first = report_environment(tmp_path / "overrides").get_template("readiness.txt.j2")
    folder = tmp_path / "cache" / "templates"
    assert {p.name.split("-")[0] for p in folder.iterdir()} == {"report"}
    compiled = compiled_templates(monkeypatch)
    again = report_environment(tmp_path / "overrides").get_template("readiness.txt.j2")
    assert compiled == [] and again.filename == first.filename
    environment(tmp_path / "overrides", SCHEMES).get_template("_macros.md.j2")
    assert compiled == ["_macros.md.j2"]
    assert {p.name.split("-")[0] for p in folder.iterdir()} == {"report", "page"}


def test_two_kinds_never_load_each_others_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Jinja keys an entry by the template's name and file only, yet its code depends on the
    environment (a report's finalize): the same file under two kinds is compiled twice."""
    from generator.render.bytecode import bytecode_cache

    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "x.j2").write_text("{{ word }}", "utf-8")

    def env(kind: str, finalize: Any) -> jinja2.Environment:
        made = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path / "shared")), finalize=finalize)
        made.bytecode_cache = bytecode_cache(kind)
        return made

    assert env("page", None).get_template("x.j2").render(word="a") == "a"
    assert env("report", str.upper).get_template("x.j2").render(word="a") == "A"
    assert env("page", None).get_template("x.j2").render(word="a") == "a"  # from its own entry
    assert len(list((tmp_path / "cache" / "templates").iterdir())) == 2
