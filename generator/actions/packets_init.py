"""`handbook init packets DIR`: a new packets repository from the shipped skeleton."""

from __future__ import annotations

import os
from pathlib import Path

from ..check.schema_check import schema_text
from ..git.handbook_clone import MANIFEST, PacketsRepoError, is_url
from ..load.repository import SETTINGS_FILE
from .tool_source import ToolSource, installed_tool_source

SKELETON = {  # skeleton file -> path in the new repository
    "packets.yaml.j2": MANIFEST,
    "README.md.j2": "README.md",
    "github/workflows/packets.yml": ".github/workflows/packets.yml",
    "github/workflows/cycle-status.yml": ".github/workflows/cycle-status.yml",
    "gitlab-ci.yml": ".gitlab-ci.yml",
    "requirements.txt.j2": "requirements.txt",
    "github/pull_request_template.md": ".github/pull_request_template.md",
    "gitignore": ".gitignore",
}


def init_packets(target: Path, handbook: str, ref: str | None, tool: ToolSource | None = None) -> list[str]:
    """Scaffold a packets repository in `target`; refuses to overwrite anything. Returns files written."""
    from importlib import resources

    import jinja2

    location = handbook
    if not is_url(handbook):
        absolute = Path(handbook).resolve()
        if not (absolute / SETTINGS_FILE).is_file():
            raise PacketsRepoError(f"--handbook {handbook}: not a handbook repository ({SETTINGS_FILE} is missing)")
        location = os.path.relpath(absolute, target.resolve())
    existing = [name for name in SKELETON.values() if (target / name).exists()]
    if existing:
        raise PacketsRepoError(f"{target} already has {', '.join(existing)}; refusing to overwrite")
    package = resources.files("generator").joinpath("skeletons/packets")
    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False}
    context = {"handbook": location, "ref": ref, "tool": tool or installed_tool_source()}
    written = []
    for source, name in SKELETON.items():
        text = package.joinpath(source).read_text("utf-8")
        if source.endswith(".j2"):
            text = env.from_string(text).render(**context)
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
        written.append(name)
    for kind in ("packet", "review", "assignments"):  # what editors validate this repository's files against
        path = target / "schemas" / f"{kind}.schema.json"
        path.parent.mkdir(exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(schema_text(kind))
        written.append(f"schemas/{kind}.schema.json")
    (target / "packets").mkdir(exist_ok=True)
    return written
