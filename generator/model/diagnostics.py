"""Findings reported to the user: one shape for loader, schema and cross-reference problems."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .handbook import Handbook

from dataclasses import dataclass, field, replace
from typing import Literal

Severity = Literal["error", "warning"]
Pointer = tuple[str | int, ...]


@dataclass(frozen=True)
class Diagnostic:
    """A problem in one file. `pointer` is the JSON path of the offending node;
    `line` and `column` (1-based) are filled in from the loaded document."""

    file: str
    message: str
    code: str
    severity: Severity = "error"
    pointer: Pointer = ()
    line: int = 1
    column: int = 1
    on_key: bool = field(default=False, compare=False)
    related: Pointer = field(default=(), compare=False)  # an earlier node in the same file, named by its line

    def at(self, line: int, column: int) -> Diagnostic:
        return replace(self, line=line, column=column)

    @property
    def json_path(self) -> str:
        parts = ["$"]
        for part in self.pointer:
            parts.append(f"[{part}]" if isinstance(part, int) else f".{part}")
        return "".join(parts)

    def sort_key(self) -> tuple[Any, ...]:
        return (self.file, self.line, self.column, self.code, self.message)


def error(file: str, code: str, message: str, pointer: Pointer = (), *, on_key: bool = False) -> Diagnostic:
    return Diagnostic(file=file, code=code, message=message, pointer=pointer, on_key=on_key)


def warning(file: str, code: str, message: str, pointer: Pointer = (), *, on_key: bool = False) -> Diagnostic:
    return Diagnostic(file=file, code=code, message=message, pointer=pointer, severity="warning", on_key=on_key)


@dataclass(frozen=True)
class Report:
    files_checked: int
    diagnostics: tuple[Diagnostic, ...]
    handbook: Handbook
    partial: frozenset[str] = frozenset()  # files in the model only in part: they have schema errors

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))
