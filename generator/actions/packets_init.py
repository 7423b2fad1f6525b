"""`handbook init packets DIR`: a new packets repository from the shipped skeleton."""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

from ..check.schema_check import schema_text
from ..git.handbook_clone import MANIFEST, PacketsRepoError, is_url
from ..load.loader import load_file
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
    "CODEOWNERS.j2": ".github/CODEOWNERS",
}
COPIES = {".gitlab/CODEOWNERS": ".github/CODEOWNERS"}  # GitLab reads .gitlab/, never .github/


def packet_owners(handbook: str, owner: str | None) -> tuple[str, ...]:
    """Who owns packets.yaml and CI in a new packets repository: --owner, else the handbook's
    promotion committee (codeowners.packets, else codeowners.default) when the handbook is local."""
    from .codeowners import is_owner

    if not is_url(handbook) and not (Path(handbook).resolve() / SETTINGS_FILE).is_file():
        raise PacketsRepoError(f"--handbook {handbook}: not a handbook repository ({SETTINGS_FILE} is missing)")
    if owner is not None:
        if not is_owner(owner):
            raise PacketsRepoError(f"--owner {owner!r} is not one GitHub user (@name), team (@org/team) or e-mail")
        return (owner,)
    local = (
        Path(urllib.parse.urlsplit(handbook).path)
        if handbook.startswith("file://")
        else None
        if is_url(handbook)
        else Path(handbook)
    )
    if local is not None and (local / SETTINGS_FILE).is_file():
        from ..check.schema_check import check

        loaded = load_file(local / SETTINGS_FILE, SETTINGS_FILE)
        data = loaded.document.data if loaded.document is not None and not check(loaded.document, "settings") else {}
        owners = (data.get("codeowners") or {}) if isinstance(data, dict) else {}
        found = tuple(o for o in (owners.get("packets") or owners.get("default") or ()) if is_owner(o))
        if found:
            return found
    raise PacketsRepoError(
        "init packets needs --owner @ORG/TEAM (the promotion committee): CODEOWNERS gives them "
        "packets.yaml and CI, so no pull request can point the packets at another handbook"
    )


def init_packets(
    target: Path, handbook: str, ref: str | None, tool: ToolSource | None = None, owner: str | None = None
) -> list[str]:
    """Scaffold a packets repository in `target`; refuses to overwrite anything. Returns files written."""
    from importlib import resources

    import jinja2

    location = handbook
    if not is_url(handbook):
        absolute = Path(handbook).resolve()
        if not (absolute / SETTINGS_FILE).is_file():
            raise PacketsRepoError(f"--handbook {handbook}: not a handbook repository ({SETTINGS_FILE} is missing)")
        location = os.path.relpath(absolute, target.resolve())
    owners = " ".join(packet_owners(handbook, owner))
    existing = [name for name in (*SKELETON.values(), *COPIES) if os.path.lexists(target / name)]
    if existing:
        raise PacketsRepoError(f"{target} already has {', '.join(existing)}; refusing to overwrite")
    package = resources.files("generator.actions").joinpath("skeletons/packets")
    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False}
    context = {"handbook": location, "ref": ref, "tool": tool or installed_tool_source(), "owners": owners}
    written = []
    texts = {}
    for source, name in SKELETON.items():
        text = package.joinpath(source).read_text("utf-8")
        if source.endswith(".j2"):
            text = env.from_string(text).render(**context)
        texts[name] = text
    for name, text in [*texts.items(), *((copy, texts[original]) for copy, original in COPIES.items())]:
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:  # O_EXCL: never over a file or through a link
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
