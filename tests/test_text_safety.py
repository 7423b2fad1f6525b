"""Text from YAML can neither act on a terminal, a job summary or a page, nor cost more than its size.

Control characters are refused everywhere; bidirectional and invisible characters are refused in
names and titles and made harmless elsewhere; markdown reports show YAML text as text; every page
has a markup-free title whatever the packet count; text has a size limit per kind, and the worst
shapes at that limit render fast and never raise.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import markdown
import pytest
from conftest import FIXED_TODAY, copy_content, edit, invoke, search

from generator.load.loader import load_bytes
from generator.model.diagnostics import Diagnostic
from generator.model.safe_text import for_terminal
from generator.render import text
from generator.render.plan import NAV_PACKETS_MAX
from generator.report.commands import markdown_cell, report_environment
from generator.workspace.workspace import validate_repository

FIXTURE = Path(__file__).parent / "fixtures" / "packets" / "fixture-staff.yaml"
SCHEMAS = Path(__file__).resolve().parent.parent / "generator" / "check" / "schemas"
TODAY = date.fromisoformat(FIXED_TODAY)

CONTROLS = [
    "\x1b[2K\r0 errors",
    "\x1b]0;title\x07",
    "\x00",
    "\x08\x08",
    "\x7f",
    "\x85",
    "\x9b31m",
    "\r",
    "\x0b",
    "\x0c",
]
HIDDEN = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200b",
    "\u200e",
    "\u200f",
    "\u2060",
    "\ufeff",
]


def quoted(value: str) -> str:
    """A YAML double-quoted scalar holding `value`: JSON strings are YAML, with characters outside
    the BMP written as themselves (YAML has no surrogate pairs) and the rest escaped."""
    return re.sub(
        "[\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060\u2066-\u2069\ufeff]",
        lambda found: f"\\u{ord(found.group()):04x}",
        json.dumps(value, ensure_ascii=False),
    )


def packet_repo(tmp_path: Path) -> Path:
    repo = copy_content(tmp_path / "handbook")
    shutil.copy(FIXTURE, repo / "packets" / "fixture.yaml")
    return repo


def errors(repo: Path) -> list[Diagnostic]:
    return [d for d in validate_repository(repo, today=TODAY).diagnostics if d.severity == "error"]


# 5. Control characters ------------------------------------------------------------------------


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize("where", ["value", "key", "list item", "prose"])
def test_loader_refuses_control_characters_in_every_string(control: str, where: str) -> None:
    body = {
        "value": f"id: {quoted('abc' + control)}\n",
        "key": f"id: abc\n{quoted('k' + control)}: 1\n",
        "list item": f"id: abc\nitems:\n  - fine\n  - {quoted(control + 'x')}\n",
        "prose": f"id: abc\nsummary: {quoted('Line one.' + control + ' Line two.')}\n",
    }[where]
    loaded = load_bytes(body.encode(), "x.yaml")
    found = [d for d in loaded.diagnostics if d.code == "control-character"]
    assert len(found) == 1, loaded.diagnostics
    line = body.count("\n", 0, body.index('"')) + 1
    assert (found[0].line, found[0].column) == (line, body.split("\n")[line - 1].index('"') + 1)
    assert f"U+{ord(control[0]):04X}" in found[0].message


def test_newlines_and_tabs_stay_allowed_in_prose() -> None:
    loaded = load_bytes(b'summary: "One.\\n\\tTwo."\nblock: |\n  One.\n  Two\there.\n', "x.yaml")
    assert loaded.document is not None
    assert loaded.diagnostics == () and loaded.document.data["summary"] == "One.\n\tTwo."


@pytest.mark.parametrize("control", ["\x1b[2K\r", "\x1b[1A\x1b[2K", "\r\n"])
def test_escape_sequences_cannot_fake_the_validate_summary(tmp_path: Path, control: str) -> None:
    repo = packet_repo(tmp_path)
    edit(repo / "packets" / "fixture.yaml", "  - id: ev-one", f"  - id: {quoted('ev' + control + '0 errors')}")
    named = repo / "packets" / f"bad{control.strip()}name.yaml"  # the file name itself holds escapes
    named.write_text((repo / "packets" / "fixture.yaml").read_text("utf-8"), "utf-8")
    result = invoke("validate", "--no-cache", cwd=repo)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in output
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", output), repr(output)
    lines = result.stdout.splitlines()
    assert all(re.match(r"\S+:\d+:\d+: (error|warning): ", line) for line in lines[:-1]), lines
    assert re.fullmatch(r"\d+ files checked, [1-9]\d* errors, \d+ warnings?", lines[-1])


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("\x1b[2K", "\\e[2K"),
        ("a\nb", "a\\nb"),
        ("\x9b", "\\x9b"),
        ("\x07", "\\x07"),
        ("\u202eabc", "\\u202eabc"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("Zoë 李 👩\u200d💻", "Zoë 李 👩\u200d💻"),
    ],
)
def test_for_terminal_shows_every_dangerous_character_as_an_escape(raw: str, shown: str) -> None:
    assert for_terminal(raw) == shown


@pytest.mark.parametrize("template", ["{{ value }}", "{{ value | md }}", "{{ '%-20s' | format(value) }}"])
def test_every_report_template_value_is_escaped_and_kept_on_one_line(tmp_path: Path, template: str) -> None:
    (tmp_path / "reports").mkdir()
    env = report_environment(tmp_path)
    out = env.from_string(f"before {template} after\n").render(value="x\x1b[2K\r\n0 errors\u202e\x85")
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", out) and out.count("\n") == 1, repr(out)


def test_readiness_and_governance_text_reports_escape_bidi_prose(tmp_path: Path) -> None:
    repo = packet_repo(tmp_path)
    edit(
        repo / "rubrics/dimensions/reliability.yaml",
        "text: Finds systemic failure modes",
        "text: Finds \u202esystemic\u202c failure modes",
    )
    edit(
        repo / "rubrics/dimensions/reliability.yaml",
        "group: Site Reliability Council",
        "group: Site \u2067Reliability\u2069 Council",
    )
    for args in (("readiness", "packets/fixture.yaml"), ("governance",)):
        result = invoke(*args, cwd=repo)
        assert result.returncode == 0, result.stderr
        assert "\u202e" not in result.stdout and "\u2067" not in result.stdout
    assert "Finds \\u202esystemic\\u202c failure modes" in invoke("readiness", "packets/fixture.yaml", cwd=repo).stdout
    assert "Site \\u2067Reliability\\u2069 Council" in invoke("governance", cwd=repo).stdout


# 6. Markdown reports show YAML text as text ---------------------------------------------------

MARKDOWN_SHAPES = [
    "![pixel](https://evil.example/x.png)",
    "[click](https://evil.example)",
    "**PROMOTED**",
    "<img src=x onerror=alert(1)>",
    "# Heading",
    "`code`",
    "~~struck~~",
    "https://evil.example/a",
    "www.evil.example",
    "@org/team",
    ":rocket:",
    "$x^2$",
    "| a | b |",
    "> quote",
    "1. list",
    "- item",
    "_em_ and *em*",
    "\\*escaped\\*",
    "&lt;entity&gt;",
    "[ref]: https://evil.example",
    "{: .x}",
]


@pytest.mark.parametrize("shape", MARKDOWN_SHAPES)
def test_markdown_cell_is_inert_text(shape: str) -> None:
    cell = markdown_cell(shape)
    assert html.unescape(cell) == shape  # the reader sees exactly what was written
    assert not re.search(r"[<>\[\]()*_`#|~!:$@\\]", re.sub(r"&#\d+;", "", cell))
    rendered = markdown.markdown(f"| a |\n|---|\n| {cell} |\n\n> {cell}\n\n## {cell}", extensions=["tables"])
    for tag in ("<a ", "<img", "<strong", "<em", "<code", "<ol", "<ul", "<h1", "<h3", "<del", "<p>{:"):
        assert tag not in rendered, rendered
    assert rendered.count("<blockquote>") == 1 and rendered.count("<td>") == 1, rendered


@pytest.mark.parametrize("shape", MARKDOWN_SHAPES[:6])
def test_markdown_readiness_report_shows_candidate_text_as_text(tmp_path: Path, shape: str) -> None:
    repo = packet_repo(tmp_path)
    edit(repo / "packets" / "fixture.yaml", "candidate: Fixture Candidate", f"candidate: {quoted(shape)}")
    edit(repo / "packets" / "fixture.yaml", "impact: Migrated six services.", f"impact: {quoted(shape)}")
    edit(
        repo / "rubrics/dimensions/reliability.yaml",
        "text: Finds systemic failure modes before they cause incidents, through reviews, game days or chaos tests.",
        f"text: {quoted(shape + ' finds systemic failure modes')}",
    )
    result = invoke("readiness", "packets/fixture.yaml", "--format", "markdown", cwd=repo)
    assert result.returncode == 0, result.stderr
    heading = result.stdout.splitlines()[0]
    assert html.unescape(heading) == f"## Readiness report: {shape}"
    body = "\n".join(result.stdout.splitlines()[1:])
    assert "<img" not in body and "](http" not in body and "**PROMOTED**" not in body


# 7. Bidirectional and invisible characters ----------------------------------------------------

NAME_FIELDS = [
    ("packets/fixture.yaml", "candidate: Fixture Candidate", "candidate: {}"),
    ("packets/fixture.yaml", "title: Cross-team migration", "title: {}"),
    ("levels/ic4.yaml", "title: Staff Engineer", "title: {}"),
    ("rubrics/dimensions/reliability.yaml", "name: Reliability", "name: {}"),
    ("rubrics/metrics/change-lead-time.yaml", "name: Change lead time", "name: {}"),
    ("site_config/handbook.yaml", "name: Individual contributor", "name: {}"),
]


@pytest.mark.parametrize("char", HIDDEN + ["\n", "\t", "\u2028"])
def test_names_refuse_bidi_invisible_and_line_characters(tmp_path: Path, char: str) -> None:
    repo = packet_repo(tmp_path)
    name = quoted("Ada" + char + "Lovelace")
    edit(repo / "packets" / "fixture.yaml", "candidate: Fixture Candidate", f"candidate: {name}")
    found = [d for d in errors(repo) if d.file == "packets/fixture.yaml"]
    assert [(d.code, d.line, d.column) for d in found] == [("schema-not", 3, 12)], found
    assert f"U+{ord(char):04X} at character 4" in found[0].message


@pytest.mark.parametrize("path, old, new", NAME_FIELDS)
def test_every_name_and_title_field_refuses_an_override(tmp_path: Path, path: str, old: str, new: str) -> None:
    repo = packet_repo(tmp_path)
    edit(repo / path, old, new.format(quoted("Evil\u202eeman")))
    assert any(d.file == path and d.code == "schema-not" and "U+202E" in d.message for d in errors(repo))


@pytest.mark.parametrize("name", ["👩\u200d💻 Ada Lovelace", "زهرا می\u200cخواهد", "李小龍", "Zoë Müller", "क्\u200dष"])
def test_names_in_any_script_and_emoji_sequences_are_accepted(tmp_path: Path, name: str) -> None:
    repo = packet_repo(tmp_path)
    edit(repo / "packets" / "fixture.yaml", "candidate: Fixture Candidate", f"candidate: {quoted(name)}")
    assert [d for d in errors(repo) if d.file == "packets/fixture.yaml"] == []


@pytest.mark.parametrize("char", HIDDEN)
@pytest.mark.parametrize("render", [text.inline, text.block, text.plain, text.label])
def test_pages_drop_reordering_and_invisible_characters_from_prose(char: str, render: Callable[[object], str]) -> None:
    out = render(f"Ship {char}the *fix*{char} today")
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]", out)
    assert "Ship" in out and "today" in out


# 8. Bounded size and cost ---------------------------------------------------------------------


def limits() -> dict[str, int]:
    packet = json.loads((SCHEMAS / "packet.schema.json").read_text("utf-8"))["$defs"]
    return {"name": packet["name"]["maxLength"], "text": packet["text"]["maxLength"]}


def test_every_schema_bounds_names_and_prose_alike() -> None:
    for path in SCHEMAS.glob("*.schema.json"):
        defs = json.loads(path.read_text("utf-8")).get("$defs", {})
        if "text" not in defs:  # files of figures or references only: no prose to bound
            continue
        assert defs["text"]["maxLength"] == limits()["text"], path.name
        if "name" in defs:
            assert defs["name"]["maxLength"] == limits()["name"], path.name


@pytest.mark.parametrize(
    "field, old, limit",
    [
        ("candidate", "candidate: Fixture Candidate", "name"),
        ("summary", "summary: A fixture with known coverage and a known composite.", "text"),
    ],
)
def test_text_over_its_limit_is_a_clear_error_and_at_its_limit_is_fine(
    tmp_path: Path, field: str, old: str, limit: str
) -> None:
    size = limits()[limit]
    repo = packet_repo(tmp_path)
    edit(repo / "packets" / "fixture.yaml", old, f"{field}: {'x' * size}")
    assert [d for d in errors(repo) if d.file == "packets/fixture.yaml"] == []
    edit(repo / "packets" / "fixture.yaml", f"{field}: {'x' * size}", f"{field}: {'x' * (size + 1)}")
    found = [d for d in errors(repo) if d.file == "packets/fixture.yaml"]
    assert [(d.code, d.line) for d in found] == [("schema-maxLength", 3 if field == "candidate" else 10)]
    assert f"is {size + 1:,} characters long; the limit here is {size:,}" in found[0].message


def worst_shapes(size: int) -> dict[str, str]:
    unit = {
        "[": "[",
        "![": "![",
        "[a](": "[a](",
        "<a ": "<a ",
        "<": "<",
        "<a href=": "<a href=",
        "*a": "*a",
        "**a": "**a",
        "_a": "_a",
        "`": "`",
        "&#": "&#",
        "]( ": "](",
        "[^": "[^",
        "<!--": "<!--",
        "\\": "\\",
        "1. ": "1. ",
        "> ": "> ",
        "- ": "- ",
        "* ": "* ",
        "1) > - ": "1) > - ",
        "[a]": "[a]",
        "a\n": "a\n",
    }
    shapes = {name: (piece * size)[:size] for name, piece in unit.items()}
    shapes["indented lists"] = "\n".join(" " * (2 * depth) + "- x" for depth in range(100))[:size]
    shapes["quote lines"] = "\n".join("> " * depth + "x" for depth in range(100))[:size]
    for opener in ("[", "![", "<a ", "[a]("):  # as many openers as still render as Markdown, then filler
        shapes[f"{text.MAX_OPENERS} x {opener!r}"] = (opener * text.MAX_OPENERS + "a" * size)[:size]
    return shapes


@pytest.mark.parametrize("render", [text.inline, text.block])
def test_each_worst_shape_at_the_limit_renders_in_under_two_seconds(render: Callable[[object], str]) -> None:
    slow = {}
    for name, shape in worst_shapes(limits()["text"]).items():
        started = time.perf_counter()
        out = render(shape)
        elapsed = time.perf_counter() - started
        if elapsed >= 2:
            slow[name] = round(elapsed, 2)
        assert "<script" not in out
    assert slow == {}


@pytest.mark.parametrize(
    "shape",
    [
        "1. " * 2000,
        "> " * 2000,
        "- " * 2000 + "x",
        "1) > - " * 700,
        "\n".join(" " * (4 * d) + "1. x" for d in range(400)),
    ],
)
def test_deep_nesting_never_raises(shape: str) -> None:
    for render in (text.inline, text.block):
        assert "x" in render(shape + "x")


def test_links_and_lists_still_render_below_the_bounds() -> None:
    out = text.block("See [the RFC](https://example.com/rfc) and <https://example.com/a>.\n\n1. one\n    - nested\n")
    assert '<a href="https://example.com/rfc"' in out and "<ol>" in out and "<ul>" in out


# 3 and 8 together: a real build with more than 20 examples, hostile titles and the worst text ---

pytestmark = pytest.mark.xdist_group("hostile-site-text")  # its module-scoped fixture is built on one worker only


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    repo = copy_content(tmp_path_factory.mktemp("hostile-titles"))
    base = FIXTURE.read_text("utf-8")
    size = limits()["text"]
    for index in range(23):
        candidate = [
            "</title><script>alert(1)</script>",
            "&lt;/title&gt;&lt;script&gt;x",
            f"Ada {index}",
            "<img src=x onerror=alert(2)>",
        ][index % 4]
        packet = base.replace("candidate: Fixture Candidate", f"candidate: {quoted(candidate)}")
        packet = packet.replace(
            "summary: A fixture with known coverage and a known composite.",
            f"summary: {quoted((('1. ' * 300) + ('[' * size))[:size])}",
        )
        impact = quoted("> " * 300 + "x \u202edone")
        packet = packet.replace("impact: Migrated six services.", f"impact: {impact}")
        (repo / "packets" / f"hostile-{index}.yaml").write_text(packet, "utf-8")
    started = time.perf_counter()
    result = invoke("build", cwd=repo)
    assert result.returncode == 0, result.stderr
    return repo / "site", time.perf_counter() - started


def test_every_page_has_a_markup_free_title_beyond_twenty_examples(hostile_site: tuple[Path, float]) -> None:
    site, _ = hostile_site
    pages = list(site.rglob("index.html"))
    assert len([p for p in pages if p.parent.parent.name == "packets"]) == 23 + 3 > NAV_PACKETS_MAX
    for page in pages:
        title = search(r"<title>(.*?)</title>", page.read_text("utf-8"), re.S).group(1)
        assert not re.search(r"[<>&\"]", title), (page, title)
    title = search(r"<title>(.*?)</title>", (site / "packets/hostile-0/index.html").read_text("utf-8")).group(1)
    assert title == "‹/title›‹script›alert(1)‹/script› - Northwind Engineering Handbook"


def test_worst_text_builds_fast_without_traceback_and_shows_as_written(hostile_site: tuple[Path, float]) -> None:
    site, elapsed = hostile_site
    page = (site / "packets/hostile-1/index.html").read_text("utf-8")
    assert "1. 1. 1." in page and "[[[[" in html.unescape(page)
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", page)
    assert elapsed < 120
