from __future__ import annotations

from pathlib import Path

import pytest

from generator.load.loader import MAX_FILE_BYTES, load_bytes, load_file, resolve_plain

FIXTURES = Path(__file__).parent / "fixtures" / "loader"

REJECTED = [
    # fixture, code, line, column, words in the message
    ("syntax-error.yaml", "yaml-syntax", 3, 1, "YAML syntax error"),
    ("unterminated-string.yaml", "yaml-syntax", 3, 1, "YAML syntax error"),
    ("tab-indent.yaml", "tab-indent", 3, 1, "tab character in indentation"),
    ("not-utf8.yaml", "not-utf8", 2, 11, "not valid UTF-8 (byte 0xe9)"),
    ("binary.yaml", "binary-file", 1, 8, "binary"),
    ("alias-bomb.yaml", "too-many-aliases", 7, 8, "alias bomb"),
    ("recursive-alias.yaml", "recursive-alias", 1, 8, "refers to itself"),
    ("python-tag.yaml", "forbidden-tag", 2, 8, "'!!python/object/apply:os.system' is not allowed"),
    ("binary-tag.yaml", "forbidden-tag", 2, 7, "'!!binary' is not allowed"),
    ("multiple-documents.yaml", "multiple-documents", 2, 1, "more than one YAML document"),
    ("empty.yaml", "empty-file", 1, 1, "file is empty"),
    ("comment-only.yaml", "empty-file", 1, 1, "file is empty"),
    ("merge-key.yaml", "merge-key", 3, 3, "merge keys"),
    ("deep-nesting.yaml", "too-deep", 1, 67, "nesting deeper than 64"),
]


@pytest.mark.parametrize("name, code, line, column, words", REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_inputs_name_the_line_and_column(name: str, code: str, line: int, column: int, words: str) -> None:
    result = load_file(FIXTURES / name, name)
    assert result.document is None
    [problem] = result.diagnostics
    assert (problem.code, problem.line, problem.column) == (code, line, column)
    assert words in problem.message
    assert problem.file == name


def test_duplicate_key_points_at_the_second_key_and_names_the_first() -> None:
    result = load_file(FIXTURES / "duplicate-key.yaml", "dup.yaml")
    [problem] = result.diagnostics
    assert (problem.code, problem.line, problem.column) == ("duplicate-key", 3, 1)
    assert "duplicate key 'id' (first defined on line 1)" == problem.message


@pytest.mark.parametrize(
    "name, value, line, column",
    [
        ("yaml11-bool.yaml", "no", 2, 10),
        ("yaml11-octal.yaml", "010", 2, 7),
        ("yaml11-sexagesimal.yaml", "1:30", 2, 9),
    ],
)
def test_yaml11_surprises_are_reported_and_kept_as_text(name: str, value: str, line: int, column: int) -> None:
    result = load_file(FIXTURES / name, name)
    [problem] = result.diagnostics
    assert (problem.code, problem.line, problem.column) == ("ambiguous-scalar", line, column)
    assert f"'{value}' is ambiguous" in problem.message
    assert result.document is not None
    assert value in result.document.data.values()


def test_oversize_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    [problem] = load_file(big, "big.yaml").diagnostics
    assert problem.code == "file-too-large"
    assert f"{MAX_FILE_BYTES:,}" in problem.message


def test_dates_stay_strings_and_core_scalars_resolve() -> None:
    doc = load_bytes(b'd: 2026-01-15\nn: 3\nf: 0.25\nt: true\nz: ~\nq: "no"\nh: 0x1F\n', "x.yaml").document
    assert doc is not None
    assert doc.data == {"d": "2026-01-15", "n": 3, "f": 0.25, "t": True, "z": None, "q": "no", "h": 31}


def test_every_node_keeps_its_position() -> None:
    doc = load_bytes(b"a:\n  b:\n    - x\n    - y: 1\n", "x.yaml").document
    assert doc is not None
    assert doc.node_marks is not None and doc.key_marks is not None
    assert doc.node_marks[("a", "b", 1, "y")] == (4, 10)
    assert doc.key_marks[("a", "b")] == (2, 3)
    assert doc.position(("a", "b", 1, "missing")) == (4, 7)


def test_keys_are_always_text() -> None:
    doc = load_bytes(b"1: one\nno: two\n", "x.yaml").document
    assert doc is not None
    assert doc.data == {"1": "one", "no": "two"}


def test_a_few_aliases_are_allowed() -> None:
    doc = load_bytes(b"a: &x [1, 2]\nb: *x\n", "x.yaml").document
    assert doc is not None
    assert doc.data == {"a": [1, 2], "b": [1, 2]}


def test_utf8_bom_is_accepted() -> None:
    document = load_bytes("\ufeffa: 1\n".encode(), "x.yaml").document
    assert document is not None and document.data == {"a": 1}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("yes", "yes"),
        ("On", "On"),
        ("1_000", "1_000"),
        ("0o17", 15),
        ("-3", -3),
        ("1e3", 1000.0),
        ("2026-01-01", "2026-01-01"),
    ],
)
def test_resolve_plain(text: str, expected: float | str) -> None:
    assert resolve_plain(text)[0] == expected
