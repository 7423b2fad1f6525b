"""The result cache never gives a stale answer, and the fast paths agree with the slow ones."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, edit
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator.check import batch, schema_check
from generator.load import cache as cache_module
from generator.load.cache import ResultCache
from generator.load.loader import load_bytes
from generator.model.diagnostics import Pointer, Report
from generator.workspace.workspace import validate_repository

CORPUS = Path(__file__).parent / "fixtures" / "hostile"
PRIYA = "packets/examples/priya-raman-senior.yaml"
TODAY = date(2026, 11, 28)


def summary(report: Report) -> list[tuple[str, int, int, str, str]]:
    return [(d.file, d.line, d.column, d.code, d.message) for d in report.diagnostics]


def test_warm_cache_gives_the_same_answer_as_no_cache(repo: Path, tmp_path: Path) -> None:
    for index, fixture in enumerate(sorted(CORPUS.iterdir())[:20]):
        shutil.copy(fixture, repo / "packets" / f"hostile-{index}.yaml")
    cache = ResultCache(tmp_path / "cache")
    cold = validate_repository(repo, today=TODAY, cache=cache)
    warm = validate_repository(repo, today=TODAY, cache=cache)
    uncached = validate_repository(repo, today=TODAY)
    assert summary(cold) == summary(warm) == summary(uncached)
    assert len(cache.get_many([cache_module.key_for("packet", (repo / PRIYA).read_bytes())])) == 1


def test_same_content_at_another_path_reports_the_new_path(repo: Path, tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache")
    broken = (CORPUS / "25-wrong-type.yaml").read_bytes()
    (repo / "levels" / "zz.yaml").write_bytes(broken)
    validate_repository(repo, today=TODAY, cache=cache)
    (repo / "levels" / "zz.yaml").unlink()
    (repo / "levels" / "yy.yaml").write_bytes(broken.replace(b"id: zz", b"id: yy"))
    report = validate_repository(repo, today=TODAY, cache=cache)
    assert {d.file for d in report.errors} == {"levels/yy.yaml"}


def test_rubric_changes_apply_to_cached_packets(repo: Path, tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache")
    assert not validate_repository(repo, today=TODAY, cache=cache).errors
    edit(repo / "rubrics/dimensions/collaboration.yaml", "id: col-ic3-mentoring", "id: col-ic3-mentorship")
    codes = {(d.file, d.code) for d in validate_repository(repo, today=TODAY, cache=cache).errors}
    assert (PRIYA, "unknown-criterion") in codes


def test_a_broken_cache_only_costs_time(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "results-v1.sqlite").write_bytes(b"this is not a database" * 100)
    report = validate_repository(repo, today=TODAY, cache=ResultCache(folder))
    assert report.diagnostics == ()


def test_parallel_and_sequential_loading_agree(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for index, fixture in enumerate(sorted(CORPUS.iterdir())):
        shutil.copy(fixture, repo / "packets" / f"hostile-{index}.yaml")
    monkeypatch.setattr(batch, "PARALLEL_FROM", 10)
    monkeypatch.setattr(batch, "CHUNK", 7)
    parallel = validate_repository(repo, today=TODAY, workers=2)
    assert summary(parallel) == summary(validate_repository(repo, today=TODAY, workers=1))


def test_only_packets_given_skips_other_packets_but_not_the_rubrics(repo: Path) -> None:
    edit(repo / "packets/examples/jonas-berg-staff.yaml", "cycle: 2026-h1", "cycle: [broken")
    edit(repo / "rubrics/dimensions/delivery.yaml", "id: del-ic3-projects", "id: del-ic3-project")
    report = validate_repository(repo, today=TODAY, only=[repo / PRIYA])
    assert [(d.file, d.code) for d in report.errors] == [(PRIYA, "unknown-criterion")]


PACKET_SOURCE = (REPO / PRIYA).read_text()


@given(st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fast_validator_agrees_with_the_full_one(data: st.DataObject) -> None:
    lines = PACKET_SOURCE.splitlines(keepends=True)
    index = data.draw(st.integers(1, len(lines) - 1))
    replacement = data.draw(
        st.sampled_from(
            [
                "",
                '    date: "2026-02-30"\n',
                "    link: javascript:x\n",
                "    criteria: [Bad Id]\n",
                "extra: 1\n",
                "    role: owner\n",
                "  - reviewer: ''\n",
                "cycle: 2026-h9\n",
                '    impact: " "\n',
                "visibility: public\n",
                "    ratings: {delivery: 0}\n",
                "criteria_version: 1.2\n",
                "evidence: {}\n",
                "decision: {}\n",
            ]
        )
    )
    text = "".join(lines[:index] + [replacement] + lines[index + 1 :])
    document = load_bytes(text.encode(), "p.yaml").document
    if document is None:
        return
    full = list(schema_check.validator_for("packet").iter_errors(document.data))
    assert schema_check.is_valid(document.data, "packet") == (not full)


@given(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
        | st.sampled_from(list("\n\t  *_-.1#<>&ab")),
        max_size=60,
    )
)
# Leading blank lines of four columns or more, which Python-Markdown once rendered as an empty code block
@example("\t\nA")
@example("    \n\nA")
@example(" \t\n\t\nA *b*")
@example("\n  \t \nA\n\t\nB")
@settings(max_examples=1500, deadline=None)
def test_plain_text_fast_path_renders_like_markdown(text: str) -> None:
    import re

    from generator.render import text as render_text

    slow = " ".join(
        re.sub(r"</?p>", " ", render_text._render(text, render_text.INLINE_TAGS | {"p"}, frozenset({"https"}))).split()
    )
    assert render_text.inline(text) == slow


# Where Python's `re` and the compiled (ECMA-262) engine read a pattern differently: `$` before a
# final newline, and which characters `\s` calls white space.
EDGE_CHARACTERS = [
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1f",
    "\ufeff",
    "\xa0",
    "\u3000",
    "\u180e",
    "\u200b",
    " ",
    "\t",
]
AGREEMENT_SOURCES = {
    "packet": PRIYA,
    "dimension": "rubrics/dimensions/reliability.yaml",
    "metric": "rubrics/metrics/change-failure-rate.yaml",
    "level": "levels/ic4.yaml",
    "settings": "site_config/handbook.yaml",
    "composite": "rubrics/composite.yaml",
}


def _string_paths(node: Any, path: Pointer = ()) -> Iterator[Pointer]:  # node: parsed YAML
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _string_paths(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _string_paths(value, path + (index,))
    elif isinstance(node, str):
        yield path


def _replaced(node: Any, path: Pointer, value: str) -> Any:  # parsed YAML in and out
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: (_replaced(v, rest, value) if k == head else v) for k, v in node.items()}
    return [(_replaced(v, rest, value) if i == head else v) for i, v in enumerate(node)]


@given(st.data())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_both_validators_agree_on_line_breaks_and_white_space(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(sorted(AGREEMENT_SOURCES)))
    document = load_bytes((REPO / AGREEMENT_SOURCES[kind]).read_bytes(), "x.yaml").document
    assert document is not None
    path = data.draw(st.sampled_from(list(_string_paths(document.data))))
    value = _get(document.data, path)
    edge = data.draw(st.sampled_from(EDGE_CHARACTERS))
    shape = data.draw(st.sampled_from(["suffix", "prefix", "inside", "only", "doubled"]))
    middle = len(value) // 2
    mutated = {
        "suffix": value + edge,
        "prefix": edge + value,
        "inside": value[:middle] + edge + value[middle:],
        "only": edge,
        "doubled": value + edge + edge,
    }[shape]
    changed = _replaced(document.data, path, mutated)
    full = list(schema_check.validator_for(kind).iter_errors(changed))
    assert schema_check.is_valid(changed, kind) == (not full), (kind, path, mutated)


def _get(node: Any, path: Pointer) -> Any:  # parsed YAML
    for part in path:
        node = node[part]
    return node


def test_a_trailing_newline_in_an_id_is_reported_at_its_line(repo: Path) -> None:
    edit(repo / "rubrics/dimensions/reliability.yaml", "id: rel-ic4-oncall", 'id: "rel-ic4-oncall\\n"')
    report = validate_repository(repo, today=TODAY)
    found = [(d.file, d.code) for d in report.errors]
    assert ("rubrics/dimensions/reliability.yaml", "schema-pattern") in found


def test_a_document_the_fast_validator_refuses_is_never_passed_in_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refuses:
        def is_valid(self, _data: object) -> bool:
            return False

    monkeypatch.setattr(schema_check, "fast_validator_for", lambda kind: Refuses())
    document = load_bytes((REPO / PRIYA).read_bytes(), PRIYA).document
    assert document is not None
    found = schema_check.check(document, "packet")
    assert [(d.file, d.code, d.pointer) for d in found] == [(PRIYA, "schema-invalid", ())]
    assert PRIYA in found[0].message


def test_the_theme_loader_lists_what_mkdocs_copies_without_walking_hidden_folders(tmp_path: Path) -> None:
    """warm.ThemeLoader skips hidden folders (Material's .icons: 14,000 files) when MkDocs lists the
    theme's files; MkDocs leaves out any path with a part starting with a dot, so what it copies is
    the same. Checked on the real theme folders and on a planted tree with hidden files and folders."""
    import jinja2
    import material  # type: ignore[import-untyped]
    import mkdocs

    from generator.site.warm import ThemeLoader

    planted = tmp_path / "theme"
    for name in ("a.css", ".hidden.css", "js/app.js", "js/.map", ".icons/x/y.svg", "js/.cache/z.js", "deep/er/f.txt"):
        (planted / name).parent.mkdir(parents=True, exist_ok=True)
        (planted / name).write_text("x")
    folders = [
        str(planted),
        str(Path(material.__file__).parent / "templates"),
        str(Path(mkdocs.__file__).parent / "templates"),
    ]

    def in_no_hidden_folder(path: str) -> bool:
        return not any(part.startswith(".") for part in path.split("/")[:-1])

    everything = jinja2.FileSystemLoader(folders).list_templates()
    listed = ThemeLoader(folders).list_templates()
    assert listed == [path for path in everything if in_no_hidden_folder(path)]
    assert {"a.css", ".hidden.css", "js/app.js", "js/.map", "deep/er/f.txt"} <= set(listed)
    assert len(everything) - len(listed) > 10_000  # the walk it saves
