"""MkDocs' build kept warm between the rebuilds of a live preview.

`mkdocs serve` reloads its configuration, recompiles the theme's Jinja templates and converts every
page's Markdown on each rebuild (about half a second for the default handbook, most of what a
person waits for after saving a file). This builder does what `mkdocs.commands.build.build` does,
in the same order and with the same plugin events, but keeps between rebuilds:

- the loaded configuration (and its plugins), until mkdocs.yml changes;
- the theme's template environment, so its templates are compiled once, with a bytecode cache in
  memory that outlives a configuration reload (and is kept in the user's private template cache,
  ThemeBytecodeCache);
- the HTML of each page's Markdown, keyed by the Markdown, so only pages whose text changed are
  converted again;
- the list of the theme's static files.

A page whose HTML, navigation and neighbours are unchanged is not rendered through the theme
again, but every page is still indexed for search, so the preview's navigation and search stay
complete (MkDocs' --dirty leaves both stale).
"""

from __future__ import annotations

import copy
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from mkdocs.livereload import LiveReloadServer

from ..render.bytecode import bytecode_cache

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.commands.build")


class ThemeBytecodeCache(jinja2.BytecodeCache):
    """Compiled theme templates, kept in this process and in the user's private template cache
    (render/bytecode.py, entries of their own kind): each `handbook build` is a new process, which
    otherwise compiled Material's templates again, half a second of a build of the default handbook.
    Jinja checks each entry against its template's source, so an edited template is compiled again.
    Without a usable cache folder the entries stay in memory only."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.compiled.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)
            return
        kept = bytecode_cache("theme")
        if kept is not None:
            kept.load_bytecode(bucket)
            if bucket.code is not None:
                self.compiled[bucket.key] = bucket.bytecode_to_string()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()
        kept = bytecode_cache("theme")
        if kept is not None:
            kept.dump_bytecode(bucket)


BYTECODE = ThemeBytecodeCache()


class ThemeLoader(jinja2.FileSystemLoader):
    """The theme's template folders, listed without walking hidden folders. MkDocs lists them on
    every build to find the theme's static files and leaves out every path with a part that starts
    with a dot; Material's .icons folder alone holds 14,000 files (about 0.15 s a build to list and
    filter, a sixth of a build of the default handbook). The list is otherwise jinja2's."""

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for searchpath in self.searchpath:
            for folder, subfolders, files in os.walk(searchpath, followlinks=self.followlinks):
                subfolders[:] = [name for name in subfolders if not name.startswith(".")]
                relative = os.path.relpath(folder, searchpath)
                for name in files:
                    path = name if relative == "." else os.path.join(relative, name)
                    found.add(path.replace(os.path.sep, "/"))
        return sorted(found)


class _ThemeEnvironment(jinja2.Environment):
    """The theme's environment, listing its static files once (MkDocs walks the theme's thousands of
    icon files on every build to find them)."""

    _listed: dict[Any, list[str]]

    def list_templates(self, extensions: Any = None, filter_func: Any = None) -> list[str]:
        listed = self.__dict__.setdefault("_listed", {})
        key = (tuple(extensions or ()), filter_func.__code__ if filter_func is not None else None)
        if key not in listed:
            listed[key] = list(super().list_templates(extensions, filter_func))
        found: list[str] = listed[key]
        return found


def _warm_environment(config: MkDocsConfig) -> Callable[[], jinja2.Environment]:
    """Theme.get_env, made once per configuration and given the bytecode cache."""
    made: list[jinja2.Environment] = []
    theme_env = config.theme.get_env

    def get_env() -> jinja2.Environment:
        if not made:
            env = theme_env()
            env.__class__ = _ThemeEnvironment
            env.bytecode_cache = BYTECODE
            made.append(env)
        return made[0]

    return get_env


@dataclass(frozen=True)
class _Converted:
    content: str
    toc: Any
    title: str | None
    anchors: frozenset[str]


@dataclass
class WarmBuild:
    """Build the site at config_file into site_dir, warm between calls (see the module)."""

    config_file: Path
    site_dir: Path
    dev_addr: str
    config_text: str = ""
    config: MkDocsConfig | None = None
    converted: dict[tuple[str, str], _Converted] = field(default_factory=dict)
    rendered: dict[str, tuple[object, ...]] = field(default_factory=dict)  # page -> what its HTML was made from
    files_key: tuple[tuple[str, str], ...] = ()
    indexed: dict[tuple[object, ...], list[Any]] = field(default_factory=dict)  # search entries of each page

    def load(self) -> MkDocsConfig:
        """The configuration, loaded again only when mkdocs.yml changed (a new navigation)."""
        text = self.config_file.read_text("utf-8")
        if self.config is None or text != self.config_text:
            from mkdocs.config import load_config
            from mkdocs.livereload import _serve_url

            if self.config is not None:
                self.config.plugins.on_shutdown()
            config = load_config(
                str(self.config_file), site_dir=str(self.site_dir), dev_addr=self.dev_addr, strict=False
            )
            config.theme.get_env = _warm_environment(config)  # type: ignore[method-assign]
            config.plugins.on_startup(command="serve", dirty=False)
            host, port = config.dev_addr
            config.site_url = _serve_url(host, port, "/")
            self.config, self.config_text = config, text
            self.converted.clear()
            self.rendered.clear()
            self.indexed.clear()
        return self.config

    def close(self) -> None:
        if self.config is not None:
            self.config.plugins.on_shutdown()
            self.config = None

    def __call__(self) -> None:
        """One build, as `mkdocs.commands.build.build(config, serve_url=...)` makes it."""
        from mkdocs.commands.build import _build_theme_template, get_context
        from mkdocs.exceptions import Abort, BuildError
        from mkdocs.structure.files import InclusionLevel, get_files, set_exclusions
        from mkdocs.structure.nav import get_navigation
        from mkdocs.structure.pages import Page

        config = self.load()
        try:
            config = config.plugins.on_config(config)
            self._index_from_memory(config)
            config.plugins.on_pre_build(config=config)
            files = get_files(config)
            env = config.theme.get_env()
            files.add_files_from_theme(env, config)
            files = config.plugins.on_files(files, config=config)
            set_exclusions(files, config)
            files_key = tuple((file.src_uri, file.dest_uri) for file in files)
            if files_key != self.files_key:  # links are resolved against the files; removed pages go
                from mkdocs import utils

                utils.clean_directory(config.site_dir)
                self.converted.clear()
                self.rendered.clear()
                self.indexed.clear()
                self.files_key = files_key
            nav = get_navigation(files, config)
            nav = config.plugins.on_nav(nav, config=config, files=files)
            inclusion = InclusionLevel.is_in_serve
            for file in files.documentation_pages(inclusion=inclusion):
                if file.page is None and file.inclusion.is_not_in_nav():  # type: ignore[no-untyped-call]
                    Page(None, file, config)
                assert file.page is not None
                self._populate(file.page, config, files)
            env = config.plugins.on_env(env, config=config, files=files)
            files.copy_static_files(dirty=True, inclusion=inclusion)
            for template in config.theme.static_templates:
                _build_theme_template(template, env, files, config, nav)
            for template in config.extra_templates:
                from mkdocs.commands.build import _build_extra_template

                _build_extra_template(template, files, config, nav)
            doc_files = files.documentation_pages(inclusion=inclusion)
            navigation = _nav_key(nav)
            for file in doc_files:
                assert file.page is not None
                self._build(file.page, config, doc_files, nav, env, navigation, get_context)
            for file in doc_files:
                assert file.page is not None
                file.page.validate_anchor_links(files=files, log_level=config.validation.links.anchors)
            config.plugins.on_post_build(config=config)
        except Exception as error:
            config.plugins.on_build_error(error=error)
            if isinstance(error, BuildError):
                raise Abort(str(error)) from None
            raise

    def _index_from_memory(self, config: MkDocsConfig) -> None:
        """The search plugin makes a new index each build and parses every page's HTML into it;
        a page whose HTML, title, address and settings are unchanged gives the same entries, so
        they are taken from the last build (Material's and MkDocs' search index alike)."""
        for plugin in config.plugins.values():
            index = getattr(plugin, "search_index", None)
            entries = getattr(index, "entries", None)
            add = getattr(index, "add_entry_from_context", None)
            if not isinstance(entries, list) or add is None:
                continue

            def add_known(page: Page, add: Callable[[Page], None] = add, entries: list[Any] = entries) -> None:
                key = (page.file.src_uri, page.content, page.title, page.url, repr(page.meta), repr(page.toc))
                if key not in self.indexed:
                    before = len(entries)
                    add(page)
                    self.indexed[key] = copy.deepcopy(entries[before:])
                    return
                entries.extend(copy.deepcopy(self.indexed[key]))

            index.add_entry_from_context = add_known  # type: ignore[union-attr]

    def _populate(self, page: Page, config: MkDocsConfig, files: Files) -> None:
        """Read the page and convert its Markdown, or take the HTML of the same Markdown from the
        last build (the plugin events run either way)."""
        config._current_page = page
        try:
            page = config.plugins.on_pre_page(page, config=config, files=files)
            page.read_source(config)
            assert page.markdown is not None
            page.markdown = config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=files)
            key = (page.file.src_uri, page.markdown)
            known = self.converted.get(key)
            if known is None:
                page.render(config, files)
                assert page.content is not None
                known = _Converted(
                    page.content, page.toc, page._title_from_render, frozenset(page.present_anchor_ids or ())
                )
                self.converted = {k: v for k, v in self.converted.items() if k[0] != key[0]}
                self.converted[key] = known
            else:  # its links were checked when it was converted
                page.content, page.toc, page._title_from_render = known.content, known.toc, known.title
                page.present_anchor_ids = set(known.anchors)
            page.content = config.plugins.on_page_content(page.content, page=page, config=config, files=files)
        except Exception as error:
            from mkdocs.exceptions import BuildError

            log.error(
                f"Error reading page '{page.file.src_uri}':" + ("" if isinstance(error, BuildError) else f" {error}")
            )
            raise
        finally:
            config._current_page = None

    def _build(
        self,
        page: Page,
        config: MkDocsConfig,
        doc_files: Sequence[File],
        nav: Navigation,
        env: jinja2.Environment,
        navigation: tuple[object, ...],
        get_context: Callable[..., Any],
    ) -> None:
        """Render the page through the theme, unless what its HTML is made from is as it was; the
        page_context event (search indexing) runs for every page."""
        config._current_page = page
        try:
            page.active = True
            context = get_context(nav, doc_files, config, page)
            context = config.plugins.on_page_context(context, page=page, config=config, nav=nav)
            made_from = (page.content, page.meta.get("template", "main.html"), str(page.meta), navigation)
            target = page.file.abs_dest_path
            if self.rendered.get(page.file.src_uri) == made_from and os.path.isfile(target):
                return
            template = env.get_template(page.meta.get("template", "main.html"))
            output = template.render(context)
            output = config.plugins.on_post_page(output, page=page, config=config)
            if output.strip():
                from mkdocs import utils

                utils.write_file(output.encode("utf-8", errors="xmlcharrefreplace"), target)
            self.rendered[page.file.src_uri] = made_from
        except Exception as error:
            from mkdocs.exceptions import BuildError

            log.error(
                f"Error building page '{page.file.src_uri}':" + ("" if isinstance(error, BuildError) else f" {error}")
            )
            raise
        finally:
            page.active = False
            config._current_page = None


def _nav_key(nav: Navigation) -> tuple[object, ...]:
    """What every page's navigation shows: each item's title and address, in order."""
    return tuple((item.title, getattr(item, "url", None), item.is_section) for item in _walk(nav.items))


def _walk(items: Sequence[Any]) -> list[Any]:
    found = []
    for item in items:
        found.append(item)
        found.extend(_walk(item.children or ()))
    return found


FINGERPRINTED = re.compile(r"/assets/(javascripts|stylesheets)/[\w./-]*\.[0-9a-f]{8}\.min\.(js|css)")


class PreviewServer(LiveReloadServer):
    """MkDocs' live-reload server, telling browsers to keep the theme's fingerprinted scripts and
    style sheets (their names change with their content) instead of fetching them on every reload."""

    def serve_request(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not FINGERPRINTED.fullmatch(str(environ.get("PATH_INFO", ""))):
            return super().serve_request(environ, start_response)

        def cached(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            return start_response(status, [*headers, ("Cache-Control", "max-age=86400, immutable")], *rest)

        return super().serve_request(environ, cached)
