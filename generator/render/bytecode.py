"""Compiled page templates kept between runs, as Python keeps .pyc files: a fresh `handbook build`
otherwise spends a fifth of its page generation compiling the same templates again.

Only templates' bytecode is kept (the shipped templates and an organisation's overrides, never
data), in the user's cache folder (load/cache.default_folder), in a `templates` folder that must
be the user's own and private (0700), checked as the result cache's is. Jinja checks each entry
against its template's source, so an edited template is compiled again. Any problem with the
folder or an entry means compiling, never a failure or a message."""

from __future__ import annotations

import jinja2

from ..load.cache import default_folder
from ..load.safe_files import private_folder


class PrivateBytecodeCache(jinja2.FileSystemBytecodeCache):
    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable or damaged (Jinja lets a damaged checksum through): compile
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def bytecode_cache(kind: str = "page") -> jinja2.BytecodeCache | None:
    """The cache, or None when the folder cannot be private (then templates are compiled). Each kind
    of environment keeps its own entries: a template's code depends on its environment's settings
    (reports finalize every value), and Jinja's key is only the template's name and file."""
    try:
        folder = private_folder(default_folder() / "templates", what="template cache folder")
    except Exception:  # no home folder, a file in the way, another user's or a shared folder
        return None
    # Jinja checks an entry against its template's source and the Python version, not its own: an
    # upgraded Jinja must not load code another version compiled
    return PrivateBytecodeCache(str(folder), f"{kind}-{jinja2.__version__}-%s.cache")
