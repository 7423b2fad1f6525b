"""Render a validation report for people (text), machines (json), GitHub (annotations), GitLab (Code
Quality) and code-scanning tools (SARIF 2.1.0)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..model.diagnostics import Diagnostic, Report
from ..model.safe_text import for_terminal
from .ci import gitlab_code_quality, sarif, title

FORMATS = ("text", "json", "github", "gitlab", "sarif")


def summary_line(report: Report) -> str:
    errors, warnings = len(report.errors), len(report.warnings)
    return (
        f"{report.files_checked} file{'s' if report.files_checked != 1 else ''} checked, "
        f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
    )


def render(report: Report, fmt: str) -> str:
    renderers: dict[str, Callable[[Report], str]] = {
        "text": _text,
        "json": _json,
        "github": _github,
        "gitlab": lambda r: gitlab_code_quality(r.diagnostics),
        "sarif": lambda r: sarif(r.diagnostics),
    }
    return renderers[fmt](report)


def _text(report: Report) -> str:
    lines = [
        for_terminal(f"{d.file}:{d.line}:{d.column}: {d.severity}: {d.message} [{d.code}]") for d in report.diagnostics
    ]
    return "\n".join([*lines, summary_line(report)])


def _json(report: Report) -> str:
    payload = {
        "files_checked": report.files_checked,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "diagnostics": [_as_dict(d) for d in report.diagnostics],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _as_dict(d: Diagnostic) -> dict[str, Any]:
    return {
        "file": d.file,
        "line": d.line,
        "column": d.column,
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
        "json_path": d.json_path,
    }


def _escape_data(text: str) -> str:
    text = for_terminal(text)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(report: Report) -> str:
    lines = [
        f"::{d.severity} file={_escape_property(d.file)},line={d.line},col={d.column},"
        f"title={_escape_property(title(d.code))}::{_escape_data(d.message)} [{_escape_data(d.code)}]"
        for d in report.diagnostics
    ]
    return "\n".join([*lines, summary_line(report)])
