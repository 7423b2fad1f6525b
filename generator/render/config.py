"""The MkDocs configuration for one build: shipped defaults, the organisation's overrides, and what
follows from its settings (site name and URL) and the site plan (navigation).

An organisation never writes the generated keys: `site_name` comes from site_config/handbook.yaml, so
a new organisation's pages never carry another's name. Everything else (theme colours, extra
Markdown extensions, ...) goes in an optional overrides file, `mkdocs.yml` at the repository root,
merged over the defaults shipped in the package (mappings merge, other values replace)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..load.loader import load_file
from ..model.errors import HandbookError
from ..model.handbook import Settings
from .pages import PACKAGE_TEMPLATES
from .plan import NavItem
from .text import label

DEFAULTS = PACKAGE_TEMPLATES / "mkdocs.yml"
OVERRIDES = "mkdocs.yml"
GENERATED = {
    "site_name": "organisation.name (or organisation.handbook_title) in site_config/handbook.yaml",
    "site_url": "organisation.handbook_url in site_config/handbook.yaml",
    "nav": "the levels, dimensions and pages the handbook generates",
    "docs_dir": "the build (generated pages are written to a folder of its own)",
    "site_dir": "`handbook build --site-dir`",
}


class ConfigError(HandbookError):
    pass


def read_base_config(path: Path, display: str = "mkdocs.yml", reserved: bool = False) -> dict[str, Any]:
    loaded = load_file(path, display)
    problems = [d for d in loaded.diagnostics if d.severity == "error"]
    if loaded.document is None or problems:
        first = (problems or list(loaded.diagnostics))[0]
        raise ConfigError(f"{first.file}:{first.line}:{first.column}: {first.message}")
    if not isinstance(loaded.document.data, dict):
        raise ConfigError(f"{display}:1:1: expected a mapping of MkDocs settings")
    if reserved:
        for key in loaded.document.data:
            if key in GENERATED:
                line, column = loaded.document.position((key,), on_key=True)
                raise ConfigError(
                    f"{display}:{line}:{column}: '{key}' is generated from {GENERATED[key]}; remove it from {display}"
                )
    return dict(loaded.document.data)


def base_config(root: Path, settings: Settings) -> dict[str, Any]:
    """Shipped defaults, then the organisation's overrides file (if any), then the settings. `repo_url`
    is not generated: Material then asks the forge's API for repository facts, and the published site
    makes no request to any other host unless the organisation opts in through the overrides file."""
    config = read_base_config(DEFAULTS, "generator/render/templates/mkdocs.yml")
    overrides = root / OVERRIDES
    if overrides.is_symlink():  # a link out of the repository would be read, and quoted in errors
        raise ConfigError(f"{OVERRIDES}:1:1: symbolic links are not followed; commit the file itself")
    if overrides.exists():  # a FIFO or a folder there is refused by the reader, not skipped
        config = merge(config, read_base_config(overrides, OVERRIDES, reserved=True))
    config["site_name"] = label(settings.site_name)
    if settings.handbook_url:
        config["site_url"] = settings.handbook_url
    return config


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def nav_entries(items: tuple[NavItem, ...]) -> list[dict[str, Any]]:
    return [{label(item.title): item.path if item.path else nav_entries(item.children)} for item in items]


def build_config(base: dict[str, Any], nav: tuple[NavItem, ...], docs_dir: str = "docs", site_dir: str = "site") -> str:
    """Folders are relative to the written config file: both MkDocs and Zensical resolve them so."""
    config = {**base, "docs_dir": docs_dir, "site_dir": site_dir, "nav": nav_entries(nav)}
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
