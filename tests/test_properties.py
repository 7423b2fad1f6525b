"""Property-based: random mutations of valid files never crash the validator; they are reported."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from conftest import REPO, copy_content
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.load.loader import load_bytes
from generator.load.repository import discover
from generator.workspace.workspace import validate_repository

SOURCES = [s for s in discover(REPO)[0]]
YAMLISH = st.text(alphabet=list(":-[]{}&*!|>#'\"\t\n ,?%@`~<=") + list("abcyesnoul0123.9"), max_size=30)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    source = draw(st.sampled_from(SOURCES))
    text = source.path.read_text("utf-8")
    lines = text.splitlines(keepends=True)
    operation = draw(st.sampled_from(["delete", "insert", "replace-line", "duplicate-line", "swap-lines", "bytes"]))
    if operation == "delete":
        start = draw(st.integers(0, len(text)))
        text = text[:start] + text[start + draw(st.integers(1, 40)) :]
    elif operation == "insert":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(YAMLISH) + text[at:]
    elif operation == "replace-line":
        lines[draw(st.integers(0, len(lines) - 1))] = draw(YAMLISH) + "\n"
        text = "".join(lines)
    elif operation == "duplicate-line":
        index = draw(st.integers(0, len(lines) - 1))
        lines.insert(index, lines[index])
        text = "".join(lines)
    elif operation == "swap-lines":
        a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        lines[a], lines[b] = lines[b], lines[a]
        text = "".join(lines)
    data = text.encode("utf-8")
    if operation == "bytes":
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at + 1 :]
    return source.display, data


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_loader_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    result = load_bytes(raw, "x.yaml")
    assert result.document is not None or result.diagnostics
    for d in result.diagnostics:
        assert d.line >= 1 and d.column >= 1 and d.message


@given(mutated())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_mutated_repository_only_ever_reports(
    tmp_path_factory: pytest.TempPathFactory, mutation: tuple[str, bytes]
) -> None:
    display, data = mutation
    repo = copy_content(tmp_path_factory.mktemp("mut"))
    (repo / display).write_bytes(data)
    report = validate_repository(repo, today=date(2026, 11, 28))
    for d in report.diagnostics:
        assert d.file and d.line >= 1 and d.column >= 1 and d.message and d.code
    shutil.rmtree(repo)
