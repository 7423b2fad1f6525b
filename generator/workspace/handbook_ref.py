"""`python -m generator.workspace.handbook_ref`: where the handbook a packets repository names is,
for its CI (run in the packets repository's root, after the tool is installed).

    --github      repository=<owner/name> and ref=<ref> lines for $GITHUB_OUTPUT
    --clone-url   the https clone URL, with $HANDBOOK_READ_TOKEN as its credential when set
    --ref         the ref to check out (default: HEAD)

Only packets.yaml is read, and only its handbook location and ref; what CI installs comes from
requirements.txt."""

from __future__ import annotations

import os
import re
import sys
import urllib.parse
from pathlib import Path

from ..git.handbook_clone import is_url
from .layout import read_manifest

_SCP = re.compile(r"^[^@/\s]+@([^:/\s]+):(.+)$")  # git@host:owner/name.git


def https_parts(location: str) -> tuple[str, str]:
    """(host, owner/name path without .git) of a git URL in any usual form."""
    scp = _SCP.match(location)
    if scp:
        host, path = scp.group(1), scp.group(2)
    else:
        parts = urllib.parse.urlsplit(location)
        host, path = parts.hostname or "", parts.path
    return host, path.strip("/").removesuffix(".git")


def main(argv: list[str]) -> int:
    manifest = read_manifest(Path.cwd())
    if not is_url(manifest.handbook):
        print(f"packets.yaml names the handbook by a path ({manifest.handbook}); CI needs its git URL",
              file=sys.stderr)
        return 1
    host, path = https_parts(manifest.handbook)
    if argv == ["--github"]:
        print(f"repository={path}")
        print(f"ref={manifest.ref or ''}")
    elif argv == ["--clone-url"]:
        token = os.environ.get("HANDBOOK_READ_TOKEN")
        credential = f"oauth2:{urllib.parse.quote(token, safe='')}@" if token else ""
        print(f"https://{credential}{host}/{path}.git")
    elif argv == ["--ref"]:
        print(manifest.ref or "HEAD")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
