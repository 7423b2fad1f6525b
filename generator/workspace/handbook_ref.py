"""`python -m generator.workspace.handbook_ref`: where the handbook a packets repository names is,
for its CI (run in the packets repository's root, after the tool is installed).

    --github      repository=<owner/name> and ref=<ref> lines for $GITHUB_OUTPUT
    --clone-url   the https clone URL, with $HANDBOOK_READ_TOKEN as its credential
    --ref         the ref to check out (default: HEAD)
    --base REV    read packets.yaml as it is at REV (the pull request's base commit), and fail
                  when the working tree's differs: a change must not choose its own handbook

The handbook must live on the CI's own server ($GITHUB_SERVER_URL, default https://github.com;
$CI_SERVER_HOST on GitLab): the read token is never sent anywhere else. Only packets.yaml is
read, and only its handbook location and ref; what CI installs comes from requirements.txt."""

from __future__ import annotations

import os
import re
import sys
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from ..git.handbook_clone import MANIFEST, Manifest, PacketsRepoError, is_url
from ..model.errors import GitError, HandbookError
from .layout import manifest_from_bytes, read_manifest

_SCP = re.compile(r"^[^@/\s]+@([^:/\s]+):(.+)$")  # git@host:owner/name.git
_GITHUB_PATH = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_GITLAB_PATH = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")


def https_parts(location: str) -> tuple[str, str]:
    """(host, owner/name path without .git) of a git URL in any usual form."""
    scp = _SCP.match(location)
    if scp:
        host, path = scp.group(1), scp.group(2)
    else:
        parts = urllib.parse.urlsplit(location)
        host, path = parts.hostname or "", parts.path
    return host.lower(), path.strip("/").removesuffix(".git")


def ci_host(platform: str, env: Mapping[str, str]) -> str:
    """The host of the server this CI runs on: the only one the handbook may live on."""
    if platform == "github":
        return (urllib.parse.urlsplit(env.get("GITHUB_SERVER_URL") or "https://github.com").hostname or "").lower()
    host = env.get("CI_SERVER_HOST", "").lower()
    if not host:
        raise PacketsRepoError(
            "CI_SERVER_HOST is not set: run this in a GitLab pipeline (the read token is only "
            "sent to the pipeline's own server)"
        )
    return host


def located(manifest: Manifest, platform: str, env: Mapping[str, str]) -> tuple[str, str]:
    """(host, path) of the handbook, refused unless it is on this CI's server with a plain path."""
    if not is_url(manifest.handbook):
        raise PacketsRepoError(f"{MANIFEST} names the handbook by a path ({manifest.handbook}); CI needs its git URL")
    host, path = https_parts(manifest.handbook)
    expected = ci_host(platform, env)
    if host != expected:
        raise PacketsRepoError(
            f"{MANIFEST} names a handbook on {host or 'no host'}, but this CI runs on {expected}: "
            "the read token is only sent to the CI's own server"
        )
    if not (_GITHUB_PATH if platform == "github" else _GITLAB_PATH).fullmatch(path):
        raise PacketsRepoError(f"{MANIFEST}: '{path}' is not a repository path on {host}")
    return host, path


def base_manifest(folder: Path, base: str) -> Manifest:
    """packets.yaml as it is at `base`; refused when the working tree's is not the same file."""
    from ..git.history import git_bytes

    try:
        trusted = git_bytes(folder, "show", f"{base}:{MANIFEST}")
    except GitError as problem:
        raise PacketsRepoError(f"cannot read {MANIFEST} at the base commit {base}: {problem}") from None
    try:
        current = (folder / MANIFEST).read_bytes()
    except OSError:
        current = b""
    if current != trusted:
        raise PacketsRepoError(
            f"this change edits {MANIFEST}: CI reads the handbook's location from the base branch, "
            f"so a change must not edit it. The committee changes {MANIFEST} on its own."
        )
    return manifest_from_bytes(trusted)


def main(argv: list[str], env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    args = list(argv)
    base = None
    if "--base" in args:
        at = args.index("--base")
        if at + 1 >= len(args) or not args[at + 1].strip():
            print(__doc__, file=sys.stderr)
            return 2
        base = args[at + 1]
        del args[at : at + 2]
    if args not in (["--github"], ["--clone-url"], ["--ref"]):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        manifest = base_manifest(Path.cwd(), base) if base else read_manifest(Path.cwd())
        if args == ["--github"]:
            _, path = located(manifest, "github", env)
            print(f"repository={path}")
            print(f"ref={manifest.ref or ''}")
        elif args == ["--clone-url"]:
            host, path = located(manifest, "gitlab", env)
            token = env.get("HANDBOOK_READ_TOKEN")
            credential = f"oauth2:{urllib.parse.quote(token, safe='')}@" if token else ""
            print(f"https://{credential}{host}/{path}.git")
        else:
            print(manifest.ref or "HEAD")
    except HandbookError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
