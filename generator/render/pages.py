"""Render the site plan's pages through Jinja2 templates into Markdown text."""

from __future__ import annotations

import functools
import os
import posixpath
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import yaml

from ..compute.promotion import promotion_view
from ..model.handbook import CheckedHandbook
from . import text, vocabulary
from .bytecode import bytecode_cache
from .plan import Page, SitePlan
from .text import first_sentence, short_form

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"


def template_loader(overrides: Path, subdir: str = "") -> jinja2.BaseLoader:
    """The templates shipped with the package, each overridable by a file of the same name in the
    organisation's `overrides` folder (site_config/templates/), as a theme's custom_dir works: upgrading
    the tool never conflicts with an organisation's edits, and a missing folder is no error."""
    shipped = PACKAGE_TEMPLATES / subdir if subdir else PACKAGE_TEMPLATES
    return jinja2.ChoiceLoader([_OverrideLoader(str(overrides)), jinja2.FileSystemLoader(str(shipped))])


MAX_TEMPLATE_BYTES = 256 * 1024


class _OverrideLoader(jinja2.FileSystemLoader):
    """The organisation's templates, read like every other file the tool reads: a regular file of
    bounded size inside the repository, never through a symbolic link (which could point at a
    secret the report would print) and never a FIFO or device (which would hang the command)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        from ..load.safe_files import UnsafeFileError, read_text
        from ..model.errors import TemplateError

        folder = Path(self.searchpath[0])
        path = folder.joinpath(*jinja2.loaders.split_template_path(template))
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        parts = path.relative_to(folder).parts
        steps = [folder, *(folder.joinpath(*parts[:n]) for n in range(1, len(parts) + 1))]
        try:
            if any(os.path.islink(step) for step in steps):
                raise UnsafeFileError(
                    f"{path}: the template (or a folder above it) is a symbolic link, which is not "
                    "followed; commit the file itself"
                )
            source = read_text(path, MAX_TEMPLATE_BYTES, what="template", follow=False)
        except UnsafeFileError as problem:
            raise TemplateError(problem.format_message()) from None
        mtime = os.path.getmtime(path)
        return source, str(path), lambda: os.path.lexists(path) and os.path.getmtime(path) == mtime


def template_environment(templates: Path, subdir: str = "") -> jinja2.Environment:
    """The settings every template of the project is rendered with (pages, reports, scaffolds).
    Output is Markdown, YAML or text, never HTML: YAML text goes through explicit filters.
    `templates` is the organisation's override folder; `subdir` the shipped folder's part (reports).
    Status words come from one vocabulary (`say`), so pages, reports and the command line agree."""
    env = jinja2.Environment(
        loader=template_loader(templates, subdir),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(say=vocabulary.say, outcome=vocabulary.composite_outcome, num=num, pct=pct, duration=duration)
    env.tests["decided"] = lambda status: status in vocabulary.DECIDED
    return env


def num(value: float | None, digits: int = 2) -> str:
    """A number with at most `digits` decimals and no trailing zeros after the point (10 stays 10);
    a dash for no value."""
    if value is None:
        return "–"
    shown = f"{value:.{digits}f}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def pct(value: float) -> str:
    """A ratio as a whole percentage: 0.5 is 50%."""
    return f"{value:.0%}"


def duration(seconds: float | None) -> str:
    """A time span as people read it: 14 min, 5.2 h, 3.1 d; a dash for no value."""
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{num(seconds / 3600, 1)} h"
    return f"{num(seconds / 86400, 1)} d"


def environment(templates: Path, schemes: frozenset[str]) -> jinja2.Environment:
    """The pages' environment, built once per override folder state: Jinja2 compiles each template
    the first time it is asked for and keeps it, so a build compiles every template once and a
    preview regenerating on each save compiles only the template that changed (auto_reload)."""
    return _environment(str(templates), schemes, _overrides(templates))


def _overrides(templates: Path) -> tuple[tuple[str, int], ...]:
    """The organisation's template files and their modification times: adding or removing an
    override changes which file a name loads, which auto_reload alone would not see."""
    if not templates.is_dir():
        return ()
    return tuple(
        sorted(
            (path.relative_to(templates).as_posix(), path.stat().st_mtime_ns)
            for path in templates.rglob("*")
            if path.is_file()
        )
    )


@functools.lru_cache(maxsize=8)
def _environment(templates: str, schemes: frozenset[str], overrides: tuple[tuple[str, int], ...]) -> jinja2.Environment:
    env = template_environment(Path(templates))
    env.bytecode_cache = bytecode_cache()  # compiled once per user, in a private cache folder
    env.filters.update(
        inline=lambda value: text.inline(value, schemes),
        block=lambda value: text.block(value, schemes),
        link_to=lambda title, url: text.link_to(title, url, schemes),
        plain=text.plain,
        short=_memoised(lambda value: text.inline(short_form(value), schemes)),
        sentence=lambda value: text.inline(first_sentence(value), schemes),
        is_long=lambda value: short_form(value) != " ".join(str(value).split()),
    )
    env.globals["link"] = _link
    env.globals["criterion_href"] = _criterion_href
    env.globals["sheet"] = _sheet
    return env


def _memoised(function: Callable[[str], str], limit: int = 8192) -> Callable[[object], str]:
    """A text filter remembered by its text: a packet page shows the same few dozen criteria that a
    thousand other packet pages show."""
    known: dict[str, str] = {}

    def remembered(value: object) -> str:
        key = str(value)
        found = known.get(key)
        if found is None:
            if len(known) >= limit:
                known.clear()
            found = known[key] = function(key)
        return found

    return remembered


@jinja2.pass_context
def _link(context: jinja2.runtime.Context, target: str, anchor: str = "") -> str:
    """A relative link from the page being rendered to another generated page."""
    return _relative(posixpath.dirname(context["page_path"]) or ".", target, anchor)


@jinja2.pass_context
def _criterion_href(context: jinja2.runtime.Context, criterion_id: str) -> str | None:
    """The link from the page being rendered to where one of today's criteria is defined (its
    dimension's page for a milestone, else its level's), or None for a criterion no longer there.
    One call where the macros made three (a packet page cites dozens of criteria)."""
    criterion = context["hb"].criterion(criterion_id)
    if criterion is None:
        return None
    page = f"dimensions/{criterion.dimension}.md" if criterion.milestone else f"levels/{criterion.level}.md"
    return _relative(posixpath.dirname(context["page_path"]) or ".", page, criterion_id)


@functools.lru_cache(maxsize=16384)
def _relative(folder: str, target: str, anchor: str) -> str:
    """Pages in one folder link to the same few targets over and over: each link is worked out once."""
    return posixpath.relpath(target, folder) + (f"#{anchor}" if anchor else "")


@jinja2.pass_context
def _sheet(context: jinja2.runtime.Context, page: Page) -> str:
    """Another page's body, rendered by its own template into the page being rendered (its links
    computed from here): the "print all levels" page is every level page, one after another."""
    values = {**context.get_all(), **page.context, "page_title": page.title}
    return context.environment.get_template(page.template).render(values)


def render_pages(plan: SitePlan, hb: CheckedHandbook, templates: Path, today: date) -> dict[str, str]:
    settings = hb.settings
    env = environment(templates, frozenset(settings.allowed_link_schemes))
    paths = {page.path for page in plan.pages}
    common = {
        "hb": hb,
        "settings": settings,
        "dims": hb.ordered_dimensions,
        "groups": hb.dimension_groups,
        "group_names": {g.id: g.name for g in settings.dimension_groups},
        "show_groups": any(g is not None and len(ms) > 1 for g, ms in hb.dimension_groups),
        "today": today,
        "private_build": plan.private_build,
        "has_metrics": "metrics/index.md" in paths,
        "has_composite": "composite.md" in paths,
        "has_packets": "packets/index.md" in paths,
        "promotion": promotion_view(hb),
        "process": settings.review_process,
    }
    rendered = {}
    for page in plan.pages:
        template = env.get_template(page.template)
        body = template.render(**common, **page.context, page_path=page.path, page_title=page.title)
        # The home page is always in the navigation; the theme titles it with the site name alone.
        rendered[page.path] = body if page.path == "index.md" else front_matter(page.title) + body
    return rendered


def front_matter(title: str) -> str:
    """Every page names its title, whatever its template or its place in the navigation: without
    one, the theme takes the title from the H1, and `striptags` in its <title> turns escaped
    entities back into markup. The theme prints it unescaped, so it is a markup-free label."""
    label = text.label(title)
    if _PLAIN_TITLE.fullmatch(label) and label.lower() not in _YAML_WORDS:  # what safe_dump writes unquoted
        return f"---\ntitle: {label}\n---\n\n"
    return "---\n" + yaml.safe_dump({"title": label}, allow_unicode=True, width=1 << 16) + "---\n\n"


# A label of letters, digits and inner punctuation is a plain YAML scalar as it stands: writing it
# directly saves a YAML emitter per page (half the cost of a small page). Anything else is dumped.
_PLAIN_TITLE = re.compile(r"[^\W\d_][\w .,'’()–—→/+]*[\w.)’]")
_YAML_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "null", "y", "n"})
