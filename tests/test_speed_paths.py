"""The shortcuts that make validation fast must never change what it reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import edit

from generator.check.rules import may_hold_links
from generator.workspace.workspace import validate_repository

TODAY = date(2026, 11, 28)
PRIYA = "packets/examples/priya-raman-senior.yaml"


@pytest.mark.parametrize(
    "written",
    [
        '"see [x]\\x5d(other.md)"',  # "](" made by an escape: the source never shows it
        '"see [x]\\\n      (other.md)"',  # an escaped line break joins "]" and "("
        "see [x](other.md)",
    ],
)
def test_links_made_by_escapes_are_still_reported(repo: Path, written: str) -> None:
    edit(
        repo / PRIYA,
        "impact: p95 invoice render time fell from 1.8 s to 240 ms; the chosen design is unchanged six months on.",
        f"impact: {written}",
    )
    codes = [d.code for d in validate_repository(repo, today=TODAY).errors if d.file == PRIYA]
    assert "relative-link" in codes


def test_a_source_without_link_markers_or_escapes_is_skipped() -> None:
    assert not may_hold_links(b"summary: see [x] (other.md)\ntitle: a: b\n")
    assert may_hold_links(b"summary: see [x](other.md)\n")
    assert may_hold_links(b'summary: "\\x5d("\n')
    assert may_hold_links(b"[^1]: note\n")


def test_tabs_are_still_refused_in_indentation(repo: Path) -> None:
    text = (repo / PRIYA).read_text()
    (repo / PRIYA).write_text(text.replace("\n  ", "\n\t", 1))
    codes = [d.code for d in validate_repository(repo, today=TODAY).errors if d.file == PRIYA]
    assert codes == ["tab-indent"]
