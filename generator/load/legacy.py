"""Read history written in the model's first shape, so that the criteria changelog and `handbook diff`
compare like with like across the upgrade to the open model.

The first shape put a level's track and rank in the level file and gave each dimension one of three
fixed layers. Applied only to a revision extracted into a temporary folder, never to the working tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LAYERS = ("delivery", "reliability", "collaboration")


def _load(path: Path) -> Any:
    """The file's data through the one loader (bounded size, no alias bombs, bounded numbers);
    None for a file it refuses: the revision is then read as it stands and checked as usual."""
    from .loader import load_file

    loaded = load_file(path, path.name)
    if loaded.document is None or any(d.severity == "error" for d in loaded.diagnostics):
        return None
    return loaded.document.data


def _dump(path: Path, data: dict[str, Any]) -> None:
    from .safe_files import write_exclusive

    write_exclusive(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def upgrade_tree(folder: Path) -> bool:
    """Rewrite first-shape files under `folder` into the current shape; True when anything changed."""
    ladders: dict[str, list[tuple[int, str]]] = {}
    layers: set[str] = set()
    changed = False
    for path in sorted((folder / "levels").glob("*.yaml")):
        data = _load(path)
        if isinstance(data, dict) and ("track" in data or "rank" in data):
            ladders.setdefault(str(data.pop("track", "")), []).append(
                (int(data.pop("rank", 0) or 0), str(data.get("id")))
            )
            _dump(path, data)
            changed = True
    for kind in ("dimensions", "metrics"):
        for path in sorted((folder / "rubrics" / kind).glob("*.yaml")):
            data = _load(path)
            if isinstance(data, dict) and "layer" in data:
                layer = data.pop("layer")
                layers.add(layer)
                upgraded = {}
                for key, value in data.items():
                    upgraded[key] = value
                    if key == "name":
                        if kind == "dimensions" and "order" not in data:
                            upgraded["order"] = LAYERS.index(layer) + 1 if layer in LAYERS else len(LAYERS) + 1
                        upgraded.setdefault("group", layer)
                _dump(path, upgraded)
                changed = True
    settings_path = folder / "site_config" / "handbook.yaml"
    settings = _load(settings_path) if settings_path.is_file() else None
    if changed and isinstance(settings, dict):
        for track in settings.get("tracks") or ():
            if isinstance(track, dict) and "levels" not in track:
                track["levels"] = [level for _, level in sorted(ladders.get(str(track.get("id")), []))]
        if layers and "dimension_groups" not in settings:
            ordered = [layer for layer in LAYERS if layer in layers] + sorted(layers - set(LAYERS))
            settings["dimension_groups"] = [{"id": layer, "name": str(layer).capitalize()} for layer in ordered]
        _dump(settings_path, settings)
    return changed
