"""Input shapes that used to break things after validation: names, criteria text and file names
(issue 11, items 11 and 12)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import edit, invoke, override_template

from generator.check import rules
from generator.load.loader import load_file
from generator.load.repository import PACKET_NAME_PATTERN
from generator.workspace.workspace import validate_repository

TODAY = date(2026, 11, 28)

# ---------------------------------------------------------------------------------------------------
# `handbook new packet`: any printable name, any criterion text, never a broken file.

PRINTABLE_NAMES = [
    "Ada Lovelace",
    "Zoë Müller",
    "Łukasz Øster-Straße",
    "李小龍",
    "山田 太郎",
    "김민준",
    "🦄 Unicorn",
    "👩‍💻",
    "אבי כהן",
    "محمد علي",
    'Ada "the Countess" Lovelace',
    "O'Brien",
    "key: value",
    "#hash",
    "- dash",
    "[list]",
    "{map}",
    "&anchor",
    "*alias",
    "!tag",
    "%directive",
    "a\\b",
    "yes",
    "null",
    "1.0",
    "Ada\u00a0Lovelace",
    "x" * 200,
]
CONTROL_NAMES = [
    "Ada\nvisibility: example",
    "Ada\r",
    "A\x1b[2KB",
    "A\udcffB",
    "A\x85B",
    "A\u2028B",
    "A\u202eB",
    "A\x7fB",
    "\t",
    "   ",
]


def _created(result: subprocess.CompletedProcess[str], repo: Path) -> Path:
    assert result.returncode == 0, result.stderr
    relative = result.stdout.split("Created ", 1)[1].split("\n", 1)[0]
    return repo / relative


@pytest.mark.parametrize("name", PRINTABLE_NAMES, ids=range(len(PRINTABLE_NAMES)))
def test_new_packet_accepts_any_printable_name_and_writes_a_valid_file(repo: Path, name: str) -> None:
    path = _created(invoke("new", "packet", "--candidate", name, "--target", "ic4", cwd=repo), repo)
    assert PACKET_NAME_PATTERN.fullmatch(path.stem) and path.parent.name == "2026-h2"
    loaded = load_file(path, "p.yaml")
    assert loaded.document is not None, loaded.diagnostics
    data = loaded.document.data
    assert data["candidate"] == name.strip() and data["visibility"] == "private"
    check = invoke("validate", str(path), cwd=repo)
    assert check.returncode == 0, check.stdout + check.stderr


def test_names_in_other_scripts_get_distinct_stable_file_names(repo: Path) -> None:
    first = _created(invoke("new", "packet", "--candidate", "李小龍", "--target", "ic4", cwd=repo), repo)
    second = _created(invoke("new", "packet", "--candidate", "李小虎", "--target", "ic4", cwd=repo), repo)
    assert first != second
    again = invoke("new", "packet", "--candidate", "李小龍", "--target", "ic4", cwd=repo)
    assert again.returncode == 1 and "already exists" in again.stderr
    zoe = _created(invoke("new", "packet", "--candidate", "Zoë Müller", "--target", "ic4", cwd=repo), repo)
    assert zoe.name == "zoe-muller.yaml"  # an obvious transliteration stays readable


@pytest.mark.parametrize("name", CONTROL_NAMES, ids=range(len(CONTROL_NAMES)))
def test_new_packet_refuses_control_characters_and_writes_nothing(repo: Path, name: str) -> None:
    before = sorted(p for p in (repo / "packets").rglob("*"))
    result = invoke("new", "packet", "--candidate", name, "--target", "ic4", cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "control character" in result.stderr or "empty" in result.stderr
    assert sorted(p for p in (repo / "packets").rglob("*")) == before


def test_a_name_longer_than_the_schema_allows_is_refused_before_anything_is_written(repo: Path) -> None:
    result = invoke("new", "packet", "--candidate", "x" * 201, "--target", "ic4", cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "201 characters long" in result.stderr and "at most 200" in result.stderr
    assert not list((repo / "packets").rglob("x*.yaml"))


CRITERION_TEXTS = [
    "line one\nvisibility: example",
    "first\n\nsecond paragraph\n  - a list\n#: comment?",
    "ends with a newline\n",
    "line\u2028separator and paragraph\u2029separator",
    "tab\tand\u00a0no-break and a BOM\ufeff",
]


@pytest.mark.parametrize("text", CRITERION_TEXTS, ids=range(len(CRITERION_TEXTS)))
def test_criterion_text_spanning_lines_cannot_break_or_rewrite_the_packet(repo: Path, text: str) -> None:
    edit(
        repo / "rubrics/dimensions/delivery.yaml",
        "text: Leads multi-person projects of a quarter, turning ambiguous goals into a plan others can execute.",
        f"text: {json.dumps(text)}",
    )
    assert invoke("validate", cwd=repo).returncode in (0, 1)  # whatever rules say of the text itself
    path = _created(invoke("new", "packet", "--candidate", "Ada", "--target", "ic3", cwd=repo), repo)
    document = load_file(path, "p.yaml").document
    assert document is not None
    data = document.data
    assert data["visibility"] == "private" and data["candidate"] == "Ada"
    assert [line for line in path.read_text("utf-8").splitlines() if "del-ic3-projects:" in line][0].startswith("#")
    assert invoke("validate", str(path), cwd=repo).returncode == 0


@pytest.mark.parametrize("text", ["carriage\rreturn", "next\x85line", "escape\x1b[2K"])
def test_criterion_text_with_control_characters_is_refused_at_its_line(repo: Path, text: str) -> None:
    edit(
        repo / "rubrics/dimensions/delivery.yaml",
        "text: Leads multi-person projects of a quarter, turning ambiguous goals into a plan others can execute.",
        f"text: {json.dumps(text)}",
    )
    result = invoke("validate", cwd=repo)
    assert result.returncode == 1 and "[control-character]" in result.stdout
    assert "rubrics/dimensions/delivery.yaml:" in result.stdout


def test_a_template_that_would_write_an_invalid_packet_writes_nothing(repo: Path) -> None:
    template = override_template(repo, "new_packet.yaml.j2")
    template.write_text(
        template.read_text("utf-8").replace("visibility: private\n", "visibility: private\nvisibility: example\n"),
        "utf-8",
    )
    result = invoke("new", "packet", "--candidate", "Ada", "--target", "ic3", cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "nothing was written" in result.stderr and "new_packet.yaml.j2" in result.stderr
    assert not (repo / "packets/2026-h2").exists() or not any((repo / "packets/2026-h2").iterdir())


def test_a_template_that_rewrites_what_was_asked_writes_nothing(repo: Path) -> None:
    template = override_template(repo, "new_packet.yaml.j2")
    template.write_text(template.read_text("utf-8").replace("{{ candidate | yaml_str }}", '"Someone else"'), "utf-8")
    result = invoke("new", "packet", "--candidate", "Ada", "--target", "ic3", cwd=repo)
    assert result.returncode == 1 and "candidate" in result.stderr and "nothing was written" in result.stderr


# ---------------------------------------------------------------------------------------------------
# File names become page addresses; YAML text cannot link into the generated site.

PRIYA = "packets/examples/priya-raman-senior.yaml"
BAD_FILE_NAMES = [
    ("a?b", "a-b"),
    ("a)b", "a-b"),
    ("a#b", "a-b"),
    ("a%20b", "a-20b"),
    ("Ada Lovelace", "ada-lovelace"),
    ("zoë", "zoe"),
    ("a_b", "a-b"),
    ("a.b", "a-b"),
    ("a--b", "a-b"),
    ("-a", "a"),
    ("李", "packet"),
]


@pytest.mark.parametrize("stem, fix", BAD_FILE_NAMES, ids=[s for s, _ in BAD_FILE_NAMES])
def test_a_packet_file_name_that_cannot_be_a_page_address_is_refused_with_the_fix(
    repo: Path, stem: str, fix: str
) -> None:
    (repo / PRIYA).rename(repo / f"packets/examples/{stem}.yaml")
    report = validate_repository(repo, today=TODAY)
    found = [(d.file, d.code) for d in report.errors]
    assert found == [(f"packets/examples/{stem}.yaml", "file-name")]
    assert f"rename it to {fix}.yaml" in report.errors[0].message
    only = validate_repository(repo, today=TODAY, only=[repo / f"packets/examples/{stem}.yaml"])
    assert [(d.file, d.code) for d in only.errors] == found


def test_a_packet_cannot_take_the_address_of_the_gallery(repo: Path) -> None:
    (repo / PRIYA).rename(repo / "packets/examples/index.yaml")
    report = validate_repository(repo, today=TODAY)
    assert [(d.file, d.code) for d in report.errors] == [("packets/examples/index.yaml", "reserved-file-name")]
    assert "index-packet.yaml" in report.errors[0].message


def test_two_examples_with_the_same_file_name_are_refused(repo: Path) -> None:
    (repo / "packets/2026-h1").mkdir()
    shutil.copy(repo / PRIYA, repo / "packets/2026-h1/priya-raman-senior.yaml")
    report = validate_repository(repo, today=TODAY)
    assert [(d.file, d.code) for d in report.errors] == [(PRIYA, "duplicate-page")]


def test_the_plan_refuses_two_pages_at_one_address() -> None:
    from generator.render.plan import Page, PlanError, _refuse_collisions

    with pytest.raises(PlanError, match="packets/index.md"):
        _refuse_collisions(
            [
                Page("packets/index.md", "packet_gallery.md.j2", "Example packets"),
                Page("packets/index.md", "packet.md.j2", "Someone"),
            ]
        )


RELATIVE_TEXTS = [
    ("see [the ladder](../ladder.md) first", "relative-link"),
    ("see [below](#evidence)", "relative-link"),
    ("see [x](other.md)", "relative-link"),
    ("see [x]( <other page.md> )", "relative-link"),
    ("see [x]()", "relative-link"),
    ("see [the doc][doc]\n\n[doc]: docs/design.md", "relative-link"),
    ("a claim[^1]\n\n[^1]: the source", "footnote"),
    ("![chart](chart.png)", "relative-link"),
]


@pytest.mark.parametrize("text, code", RELATIVE_TEXTS, ids=range(len(RELATIVE_TEXTS)))
def test_relative_links_and_footnotes_in_yaml_text_are_reported_at_their_line(repo: Path, text: str, code: str) -> None:
    edit(
        repo / PRIYA,
        "    impact: p95 invoice render time fell from 1.8 s to 240 ms; the chosen design is unchanged six months on.",
        f"    impact: {json.dumps(text)}",
    )
    report = validate_repository(repo, today=TODAY)
    assert [(d.file, d.code, d.line) for d in report.errors] == [(PRIYA, code, 32)]


@pytest.mark.parametrize(
    "text",
    [
        "see [x](https://example.com/a) and <https://example.com/b>",
        "[a][b]\n\n[b]: https://example.com",
        "brackets [like this] and (this)",
        "a[0]: not at line start",
        "`code [x](y)` is flagged only when it looks like a link",
    ],
)
def test_absolute_links_and_plain_brackets_are_fine(text: str) -> None:
    found = list(rules.text_links("f.yaml", {"impact": text, "link": "relative/is/checked/elsewhere"}))
    assert [d.code for d in found] == ([] if "code [x](y)" not in text else ["relative-link"])


@pytest.mark.parametrize("text", [t for t, _ in RELATIVE_TEXTS])
def test_relative_links_render_inert_as_a_backstop(text: str) -> None:
    from generator.render import text as render_text

    for html_text in (render_text.inline(text), render_text.block(text)):
        assert "href" not in html_text and "src=" not in html_text
    assert 'href="https://example.com/a"' in render_text.inline("[x](https://example.com/a)")


def test_validate_names_the_yaml_line_of_a_relative_link_and_build_stops_before_writing(repo: Path) -> None:
    edit(
        repo / PRIYA,
        "    impact: p95 invoice render time fell from 1.8 s to 240 ms; the chosen design is unchanged six months on.",
        '    impact: "see [the ladder](../ladder.md) and a claim[^1]\\n\\n[^1]: the source"',
    )
    result = invoke("build", cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    output = result.stdout + result.stderr
    assert f"{PRIYA}:32:" in output and "relative" in output and "footnote" in output
    assert not (repo / "site").exists()


def test_an_internal_build_with_one_file_name_in_two_cycles_stops_with_both_files_named(repo: Path) -> None:
    for cycle in ("2026-h1", "2026-h2"):
        (repo / "packets" / cycle).mkdir()
        text = (repo / PRIYA).read_text("utf-8").replace("visibility: example", "visibility: private")
        (repo / "packets" / cycle / "ada.yaml").write_text(text, "utf-8")
    result = invoke("build", "--include-private", cwd=repo)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "packets/2026-h1/ada.yaml" in result.stderr and "packets/2026-h2/ada.yaml" in result.stderr


def test_a_relative_link_is_reported_from_a_warm_cache_too(repo: Path, tmp_path: Path) -> None:
    from generator.load.cache import ResultCache

    edit(
        repo / PRIYA,
        "    impact: p95 invoice render time fell from 1.8 s to 240 ms; the chosen design is unchanged six months on.",
        '    impact: "see [x](other.md)"',
    )
    cache = ResultCache(tmp_path / "cache")
    cold, warm = (validate_repository(repo, today=TODAY, cache=cache) for _ in range(2))
    assert [(d.file, d.code, d.line) for d in cold.errors] == [(PRIYA, "relative-link", 32)]
    assert cold.diagnostics == warm.diagnostics
