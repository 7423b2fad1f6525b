"""Where the `handbook` tool comes from, for the CI that `handbook init` writes.

A generated workflow installs the tool from one pinned pip requirement. `--tool-source` names it;
by default it is the source this installation came from, read from the installed distribution's
PEP 610 metadata (direct_url.json): a git URL at its exact commit, an archive URL, or the
released version when it came from a package index. A local folder or an editable install cannot
be reached from CI: then there is no default, and the generated file says what to write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata

from ..model.errors import HandbookError

DISTRIBUTION = "handbook"


class ToolSourceError(HandbookError):
    pass


@dataclass(frozen=True)
class ToolSource:
    requirement: str | None  # a pip requirement line, or None when it cannot be known
    why: str  # where it came from, or why it is unknown (written as a comment)


def requirement_from(direct_url: dict[str, object] | None, version: str) -> ToolSource:
    """The requirement for an installation described by PEP 610 `direct_url` (None: from an index)."""
    if direct_url is None:
        return ToolSource(f"{DISTRIBUTION}=={version}", f"installed from a package index as version {version}")
    url = str(direct_url.get("url", ""))
    vcs = direct_url.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id") and not url.startswith("file:"):
        return ToolSource(f"git+{url}@{vcs['commit_id']}", "installed from git at this commit")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id"):
        return ToolSource(None, f"installed from a git repository on this machine ({url}), which CI cannot reach")
    if "archive_info" in direct_url and url.startswith("https://"):
        return ToolSource(url, "installed from this archive")
    folder = direct_url.get("dir_info")
    editable = isinstance(folder, dict) and bool(folder.get("editable"))
    return ToolSource(None, f"installed from a local folder{' (editable)' if editable else ''}, which CI cannot reach")


def installed_tool_source() -> ToolSource:
    """This installation's source. Every distribution of the tool on the path is looked at: run
    from its source folder, Python also sees the folder's own .egg-info, which has no PEP 610 record."""
    found = list(metadata.distributions(name=DISTRIBUTION))
    for dist in found:
        raw = dist.read_text("direct_url.json")
        if raw:
            try:
                direct = json.loads(raw)
            except ValueError:
                direct = None
            if isinstance(direct, dict):
                return requirement_from(direct, dist.version)
    installed = [d for d in found if str(getattr(d, "_path", "")).endswith(".dist-info")]
    if installed:
        return requirement_from(None, installed[0].version)
    return ToolSource(None, "the handbook tool runs from a source folder, which CI cannot reach")


def chosen_tool_source(given: str | None) -> ToolSource:
    """--tool-source when given (one line, no options or comments), else this installation's source."""
    if given is None:
        return installed_tool_source()
    requirement = given.strip()
    if not requirement or "\n" in requirement or requirement.startswith("-") or "#" in requirement.split("@")[0]:
        raise ToolSourceError(
            "--tool-source must be one pip requirement, e.g. 'handbook==1.4.0' or "
            "'git+https://example.org/tools/handbook.git@<commit>'"
        )
    return ToolSource(requirement, "given with --tool-source")
