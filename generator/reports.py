"""Render command reports (readiness, diff, governance, stats) through templates or as JSON."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jinja2

from .model import Dimension, Packet
from .render.pages import template_environment


def report_environment(templates: Path) -> jinja2.Environment:
    env = template_environment(templates / "reports", "reports")
    env.filters["md"] = markdown_cell
    env.filters["num"] = lambda v, d=2: "–" if v is None else f"{v:.{d}f}".rstrip("0").rstrip(".")
    env.filters["pct"] = lambda v: f"{v:.0%}"
    return env


def markdown_cell(value: Any) -> str:
    """Text for a pull-request comment: no raw HTML, no table breaks, one line."""
    text = " ".join(str(value).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def render_report(templates: Path, name: str, fmt: str, **context: Any) -> str:
    extension = {"text": "txt", "markdown": "md"}[fmt]
    return report_environment(templates).get_template(f"{name}.{extension}.j2").render(**context).rstrip() + "\n"


def to_json(value: Any) -> str:
    return json.dumps(_plain(value), indent=2, ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Dimension):
        return {"id": value.id, "name": value.name}
    if isinstance(value, Packet):
        return {"file": value.file, "candidate": value.candidate, "current_level": value.current_level,
                "target_level": value.target_level, "cycle": value.cycle, "criteria_version": value.criteria_version}
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
