"""Broken and hostile inputs: each gives a clear `path:line:col` error, exit 1, no traceback, and
leaves an existing site untouched."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import copy_content, invoke

CORPUS = Path(__file__).parent / "fixtures" / "hostile"
LEVEL, PACKET, COMPOSITE = "levels/zz.yaml", "packets/hostile.yaml", "rubrics/composite.yaml"

CASES = [
    # fixture, where it is placed, expected code, line, column
    ("01-unclosed-bracket.yaml", LEVEL, "yaml-syntax", 3, 6),
    ("02-bad-indentation.yaml", LEVEL, "yaml-syntax", 11, 3),
    ("03-unterminated-string.yaml", LEVEL, "yaml-syntax", 15, 1),
    ("04-tab-indent.yaml", LEVEL, "tab-indent", 10, 1),
    ("05-duplicate-key.yaml", LEVEL, "duplicate-key", 15, 1),
    ("06-latin1.yaml", LEVEL, "not-utf8", 2, 11),
    ("07-utf16.yaml", LEVEL, "not-utf8", 1, 1),
    ("08-png-header.yaml", LEVEL, "binary-file", 3, 1),
    ("09-nul-byte.yaml", LEVEL, "binary-file", 2, 12),
    ("10-empty.yaml", LEVEL, "empty-file", 1, 1),
    ("11-only-comments.yaml", LEVEL, "empty-file", 1, 1),
    ("12-empty-document.yaml", LEVEL, "empty-file", 1, 1),
    ("13-null-document.yaml", LEVEL, "empty-file", 1, 1),
    ("14-two-documents.yaml", LEVEL, "multiple-documents", 15, 1),
    ("15-alias-bomb.yaml", LEVEL, "too-many-aliases", 3, 11),
    ("16-recursive-alias.yaml", LEVEL, "recursive-alias", 1, 9),
    ("17-python-tag.yaml", LEVEL, "forbidden-tag", 2, 8),
    ("18-binary-tag.yaml", LEVEL, "forbidden-tag", 2, 8),
    ("19-local-tag.yaml", LEVEL, "forbidden-tag", 2, 8),
    ("20-merge-key.yaml", LEVEL, "merge-key", 3, 1),
    ("21-deep-nesting.yaml", LEVEL, "too-deep", 2, 71),
    ("23-top-level-list.yaml", LEVEL, "schema-type", 1, 1),
    ("24-top-level-scalar.yaml", LEVEL, "schema-type", 1, 1),
    ("25-wrong-type.yaml", LEVEL, "schema-type", 4, 8),
    ("26-unknown-key.yaml", LEVEL, "schema-additionalProperties", 15, 1),
    ("27-missing-key.yaml", LEVEL, "schema-required", 1, 1),
    ("28-bad-id.yaml", LEVEL, "schema-pattern", 1, 5),
    ("29-path-traversal-id.yaml", LEVEL, "schema-pattern", 1, 5),
    ("30-packet-path-traversal-level.yaml", PACKET, "schema-pattern", 9, 15),
    ("31-duplicate-level-id.yaml", LEVEL, "duplicate-id", 1, 5),
    ("32-dangling-criterion.yaml", PACKET, "unknown-criterion", 26, 16),
    ("33-target-below-current.yaml", PACKET, "target-not-above", 9, 15),
    ("34-weights-sum.yaml", COMPOSITE, "weights-sum", 7, 3),
    ("35-impossible-date.yaml", PACKET, "schema-format", 24, 11),
    ("36-yaml11-bool.yaml", LEVEL, "ambiguous-scalar", 6, 8),
    ("37-yaml11-octal.yaml", LEVEL, "ambiguous-scalar", 4, 7),
    ("38-javascript-link.yaml", PACKET, "link-scheme", 23, 11),
    ("39-individual-metric.yaml", "rubrics/metrics/slo-attainment.yaml", "individual-metric", 5, 10),
    ("40-composite-not-advisory.yaml", COMPOSITE, "composite-not-advisory", 2, 11),
    ("41-overlong-id.yaml", LEVEL, "schema-maxLength", 1, 5),
    ("43-control-character.yaml", LEVEL, "control-character", 2, 13),
    ("46-flow-and-block-nesting.yaml", LEVEL, "too-deep", 3, 251),
    ("47-bidi-override-id.yaml", LEVEL, "schema-pattern", 1, 5),
    ("48-huge-string-ambiguous-keys.yaml", LEVEL, "schema-additionalProperties", 6, 1),
    ("49-evidence-duplicate-id.yaml", PACKET, "duplicate-id", 29, 9),
    ("50-rating-out-of-range.yaml", PACKET, "schema-maximum", 48, 25),
    ("51-data-uri-link.yaml", PACKET, "link-scheme", 15, 11),
    ("52-wrong-track.yaml", PACKET, "wrong-track", 9, 15),
    ("53-gate-unknown-dimension.yaml", COMPOSITE, "unknown-dimension", 20, 16),
]


def _huge(repo: Path) -> str:
    (repo / LEVEL).write_text("id: zz\nsummary: " + "x" * (1024 * 1024) + "\n")
    return LEVEL


def _symlink_out(repo: Path) -> str:
    (repo / "levels" / "evil.yaml").symlink_to("/etc/passwd")
    return "levels/evil.yaml"


def _yml_extension(repo: Path) -> str:
    shutil.copy(repo / "levels" / "ic1.yaml", repo / "levels" / "copy.yml")
    return "levels/copy.yml"


def _unknown_place(repo: Path) -> str:
    (repo / "rubrics" / "notes.yaml").write_text("title: notes\n")
    return "rubrics/notes.yaml"


def _symlinked_folder(repo: Path) -> str:
    outside = repo.parent / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text("id: x\n")
    (repo / "packets" / "linked").symlink_to(outside)
    return "packets/linked"


GENERATED = [
    (_huge, "file-too-large", 1, 1),
    (_symlink_out, "symlink", 1, 1),
    (_yml_extension, "wrong-extension", 1, 1),
    (_unknown_place, "unknown-kind", 1, 1),
    (_symlinked_folder, "symlink", 1, 1),
]


@pytest.fixture
def repo_with_site(tmp_path: Path) -> Path:
    repo = copy_content(tmp_path / "hb")
    (repo / "site").mkdir()
    (repo / "site" / "index.html").write_text("previous site")
    return repo


def assert_rejected(repo: Path, path: str, code: str, line: int, column: int) -> None:
    result = invoke("build", cwd=repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:{line}:{column}: error: " in result.stderr and f"[{code}]" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert [p.name for p in (repo / "site").iterdir()] == ["index.html"]
    assert (repo / "site" / "index.html").read_text() == "previous site"
    assert not [p for p in repo.iterdir() if p.name.startswith(".site-")]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) + len(GENERATED) >= 40
    assert {c[0] for c in CASES} == {p.name for p in CORPUS.iterdir()}


@pytest.mark.parametrize("fixture, destination, code, line, column", CASES, ids=[c[0] for c in CASES])
def test_corpus_file_is_rejected_cleanly(
    repo_with_site: Path, fixture: str, destination: str, code: str, line: int, column: int
) -> None:
    shutil.copy(CORPUS / fixture, repo_with_site / destination)
    assert_rejected(repo_with_site, destination, code, line, column)


@pytest.mark.parametrize("make, code, line, column", GENERATED, ids=[g[0].__name__ for g in GENERATED])
def test_generated_hostile_input_is_rejected_cleanly(
    repo_with_site: Path, make: Callable[[Path], str], code: str, line: int, column: int
) -> None:
    path = make(repo_with_site)
    assert_rejected(repo_with_site, path, code, line, column)
