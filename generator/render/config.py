"""The MkDocs configuration for one build: the repository's mkdocs.yml plus generated navigation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..loader import load_file
from .plan import NavItem
from .text import label


class ConfigError(Exception):
    pass


def read_base_config(path: Path, display: str = "mkdocs.yml") -> dict[str, Any]:
    loaded = load_file(path, display)
    problems = [d for d in loaded.diagnostics if d.severity == "error"]
    if loaded.document is None or problems:
        first = (problems or list(loaded.diagnostics))[0]
        raise ConfigError(f"{first.file}:{first.line}:{first.column}: {first.message}")
    if not isinstance(loaded.document.data, dict):
        raise ConfigError(f"{display}:1:1: expected a mapping of MkDocs settings")
    return dict(loaded.document.data)


def nav_entries(items: tuple[NavItem, ...]) -> list[dict[str, Any]]:
    return [{label(item.title): item.path if item.path else nav_entries(item.children)} for item in items]


def build_config(base: dict[str, Any], nav: tuple[NavItem, ...], docs_dir: str = "docs", site_dir: str = "site") -> str:
    """Folders are relative to the written config file: both MkDocs and Zensical resolve them so."""
    config = {**base, "docs_dir": docs_dir, "site_dir": site_dir, "nav": nav_entries(nav)}
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
