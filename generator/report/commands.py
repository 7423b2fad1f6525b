"""Render command reports (readiness, diff, governance, stats) through templates or as JSON."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import jinja2

from ..model.errors import TemplateError
from ..model.handbook import Dimension, Packet
from ..model.safe_text import for_terminal
from ..render.bytecode import bytecode_cache
from ..render.pages import template_environment
from ..render.template_errors import template_problem


class ReportTemplateError(TemplateError):
    """A report template failed: the message names its file and line."""


def report_environment(templates: Path) -> jinja2.Environment:
    env = template_environment(templates / "reports", "reports")
    env.finalize = _one_line  # every value a report prints, whatever its template says
    env.filters["md"] = markdown_cell  # num and pct come with every template environment (render/pages.py)
    env.filters["code"] = markdown_code  # a whole code span: `{{ x | code }}`, never inside backticks
    env.bytecode_cache = bytecode_cache("report")  # compiled once per user, as the pages' templates are
    return env


_LINE_BREAKS = re.compile(r"[ \t]*[\r\n\u2028\u2029]+[ \t]*")


def _one_line(value: Any) -> Any:
    """A value inside a line of a report: line breaks fold to spaces, and controls, bidirectional
    and invisible characters are shown escaped, so no value can fake or erase a line."""
    return for_terminal(_LINE_BREAKS.sub(" ", value)) if isinstance(value, str) else value


# Every character GitHub-flavoured Markdown or HTML could act on (links, images, emphasis, tables,
# headings, lists, autolinks, mentions, emoji shortcodes, math) becomes an entity: shown, never acted on.
_MARKDOWN_INERT = str.maketrans({char: f"&#{ord(char)};" for char in "&<>`*_{}[]()#+-.!|~:=$@^\\"})


def markdown_cell(value: Any) -> str:
    """Text for a pull-request comment or job summary: inert text on one line, never Markdown or HTML."""
    return " ".join(str(value).split()).translate(_MARKDOWN_INERT)


def markdown_code(value: Any) -> str:
    """Text as a whole Markdown code span on one line: shown exactly (a code span shows entities
    literally, so markdown_cell does not belong inside one), fenced with more backticks than any run
    of backticks in the text, so no text can close the span early."""
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_report(templates: Path, name: str, fmt: str, **context: Any) -> str:
    extension = {"text": "txt", "markdown": "md"}[fmt]
    try:
        text = report_environment(templates).get_template(f"{name}.{extension}.j2").render(**context)
    except Exception as exc:  # raised inside a template: say where, without a traceback
        problem = template_problem(exc)
        if problem is None:
            raise
        raise ReportTemplateError(problem) from None
    return text.rstrip() + "\n"


def to_json(value: Any) -> str:
    return json.dumps(_plain(value), indent=2, ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Dimension):
        return {"id": value.id, "name": value.name}
    if isinstance(value, Packet):
        return {
            "file": value.file,
            "candidate": value.candidate,
            "current_level": value.current_level,
            "target_level": value.target_level,
            "cycle": value.cycle,
            "criteria_version": value.criteria_version,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        result = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name, attribute in vars(type(value)).items():  # computed figures travel with the data
            if isinstance(attribute, property) and not name.startswith("_"):
                result[name] = _plain(getattr(value, name))
        return result
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
