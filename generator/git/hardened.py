"""How every git command of the tool is run: with options that keep a repository's own settings
from running code, and an environment that cannot point git somewhere else.

A cloned handbook lives in a cache folder that is checked to be private to the user (see
load/safe_files.private_folder), and on top of that each command:
- turns off the file-system monitor and hooks (`core.fsmonitor`, `core.hooksPath`), the two
  settings a planted `.git/config` uses to run a program on an ordinary `git status` or checkout;
- allows only the https, ssh, http and file transports (`protocol.allow`: never `ext::`, which
  runs a command, nor `fd::` or others);
- reads no system-wide configuration (GIT_CONFIG_NOSYSTEM) and never prompts for a password;
- drops variables that would send git to another repository or object store (GIT_DIR, ...).
Settings that can still run code from a repository's own `.git/config` (say a filter driver) are
why the folder itself must be private: only the user can have written that file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

HARDENED_OPTIONS: tuple[str, ...] = (
    "-c",
    "core.fsmonitor=",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "protocol.allow=never",
    "-c",
    "protocol.https.allow=always",
    "-c",
    "protocol.http.allow=always",
    "-c",
    "protocol.ssh.allow=always",
    "-c",
    "protocol.file.allow=always",
)
_REDIRECTING = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
)


def git_command(*args: str) -> list[str]:
    """The argument list for one hardened git command."""
    return ["git", *HARDENED_OPTIONS, *args]


def git_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for git: no system configuration, no prompt, nothing that sends it to
    another repository (set when the tool runs inside a git hook, say). The user's own settings
    (GIT_SSH_COMMAND, credentials) are kept: they are how a private handbook is reached."""
    environment = {
        key: value for key, value in (base if base is not None else os.environ).items() if key not in _REDIRECTING
    }
    environment.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"})
    return environment
