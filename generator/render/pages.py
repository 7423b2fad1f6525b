"""Render the site plan's pages through Jinja2 templates into Markdown text."""

from __future__ import annotations

import posixpath
from datetime import date
from pathlib import Path

import jinja2
import yaml

from .. import vocabulary
from ..model import Handbook
from . import text
from .plan import Page, SitePlan


def template_environment(templates: Path) -> jinja2.Environment:
    """The settings every template of the project is rendered with (pages, reports, scaffolds).
    Output is Markdown, YAML or text, never HTML: YAML text goes through explicit filters. Status
    words come from one vocabulary (`say`), so pages, reports and the command line agree."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), undefined=jinja2.StrictUndefined,
                             autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(say=vocabulary.say, outcome=vocabulary.composite_outcome)
    env.tests["decided"] = lambda status: status in vocabulary.DECIDED
    return env


def environment(templates: Path, schemes: frozenset[str]) -> jinja2.Environment:
    env = template_environment(templates)
    env.filters.update(
        inline=lambda value: text.inline(value, schemes),
        block=lambda value: text.block(value, schemes),
        link_to=lambda title, url: text.link_to(title, url, schemes),
        plain=text.plain,
        pct=lambda value: f"{value:.0%}",
        num=lambda value, digits=2: "–" if value is None else f"{value:.{digits}f}".rstrip("0").rstrip("."),
    )
    env.globals["link"] = _link
    env.globals["sheet"] = _sheet
    return env


@jinja2.pass_context
def _link(context: jinja2.runtime.Context, target: str, anchor: str = "") -> str:
    """A relative link from the page being rendered to another generated page."""
    here = posixpath.dirname(context["page_path"])
    relative = posixpath.relpath(target, here or ".")
    return relative + (f"#{anchor}" if anchor else "")


@jinja2.pass_context
def _sheet(context: jinja2.runtime.Context, page: Page) -> str:
    """Another page's body, rendered by its own template into the page being rendered (its links
    computed from here): the "print all levels" page is every level page, one after another."""
    values = {**context.get_all(), **page.context, "page_title": page.title}
    return context.environment.get_template(page.template).render(values)


def render_pages(plan: SitePlan, hb: Handbook, templates: Path, today: date) -> dict[str, str]:
    settings = hb.settings
    env = environment(templates, frozenset(settings.allowed_link_schemes))
    common = {"hb": hb, "settings": settings, "dims": hb.ordered_dimensions, "today": today,
              "private_build": plan.private_build}
    rendered = {}
    for page in plan.pages:
        template = env.get_template(page.template)
        body = template.render(**common, **page.context, page_path=page.path, page_title=page.title)
        rendered[page.path] = front_matter(page.title) + body
    return rendered


def front_matter(title: str) -> str:
    """Every page names its title, whatever its template or its place in the navigation: without
    one, the theme takes the title from the H1, and `striptags` in its <title> turns escaped
    entities back into markup. The theme prints it unescaped, so it is a markup-free label."""
    return "---\n" + yaml.safe_dump({"title": text.label(title)}, allow_unicode=True, width=1 << 16) + "---\n\n"
