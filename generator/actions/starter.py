"""`handbook init DIR`: a new, blank handbook that validates and builds at once.

One track with two levels, two dimensions, settings carrying the organisation's name, CI workflows,
pull-request templates and a README; no example organisation's content or history. The files come
from templates shipped in the package (generator/render/templates/init/)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import jinja2

from .. import __version__
from ..check.schema_check import KINDS, schema_text
from ..model.errors import HandbookError, TemplateError
from ..render.pages import PACKAGE_TEMPLATES
from ..render.template_errors import template_problem
from .codeowners import is_owner
from .tool_source import ToolSource, installed_tool_source

# (file in the new repository, template in generator/render/templates/init/)
FILES = (
    ("site_config/handbook.yaml", "handbook.yaml.j2"),
    ("levels/engineer.yaml", "engineer.yaml.j2"),
    ("levels/senior-engineer.yaml", "senior-engineer.yaml.j2"),
    ("rubrics/dimensions/delivery.yaml", "delivery.yaml.j2"),
    ("rubrics/dimensions/collaboration.yaml", "collaboration.yaml.j2"),
    (".github/workflows/pull-request.yml", "pull-request.yml.j2"),
    (".github/workflows/publish.yml", "publish.yml.j2"),
    (".github/PULL_REQUEST_TEMPLATE/packet.md", "packet.md.j2"),
    (".github/PULL_REQUEST_TEMPLATE/rubric-change.md", "rubric-change.md.j2"),
    ("README.md", "README.md.j2"),
    ("requirements.txt", "requirements.txt.j2"),
    (".gitignore", "gitignore.j2"),
)


class InitError(HandbookError):
    pass


def default_owner(name: str) -> str:
    """A team handle made from the organisation's name, to be replaced by the real one."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "engineering"
    return f"@{slug}/handbook-maintainers"


def plan_init(name: str, today: date, contact: str | None = None, tool: ToolSource | None = None) -> dict[str, str]:
    """Every file of the new handbook, path -> text. Pure."""
    if not name.strip():
        raise InitError("the organisation's name must not be blank")
    contact = contact or default_owner(name)
    if not is_owner(contact):
        raise InitError(f"'{contact}' is not one GitHub user (@name), team (@org/team) or e-mail address")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES / "init")),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters["yaml_str"] = lambda value: json.dumps(" ".join(str(value).split()), ensure_ascii=False)
    context = {
        "name": " ".join(name.split()),
        "contact": contact,
        "today": today.isoformat(),
        "year": today.year,
        "version": __version__,
        "tool": tool or installed_tool_source(),
    }
    try:
        files = {path: env.get_template(template).render(**context) for path, template in FILES}
    except Exception as exc:  # raised inside a template: say where, without a traceback
        problem = template_problem(exc)
        if problem is None:
            raise
        raise TemplateError(problem) from None
    for kind in KINDS:
        files[f"schemas/{kind}.schema.json"] = schema_text(kind)
    return files


def write_init(target: Path, files: dict[str, str]) -> None:
    """Write into a new or empty folder; never over anything that is already there."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InitError(f"{target} already exists and is not empty; choose a new folder")
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
