"""A failure inside a Jinja template (site page, report or scaffold) as `file:line: message`."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType

import jinja2


def template_problem(exc: BaseException) -> str | None:
    """`file:line: template error: message` for an exception raised by or inside a template; None
    when the exception did not come from a template (a bug of ours: let it surface)."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None) if isinstance(exc, jinja2.TemplateError) else None
    if line is None:
        frames = [tb for tb in _traceback_frames(exc) if tb.tb_frame.f_code.co_filename.endswith(".j2")]
        if frames:
            name, line = frames[-1].tb_frame.f_code.co_filename, frames[-1].tb_lineno
        elif not isinstance(exc, jinja2.TemplateError):
            return None
    if isinstance(exc, jinja2.TemplateError):
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    else:
        message = f"{type(exc).__name__}: {exc}"
    return f"{name or 'template'}:{line or 1}: template error: {message}"


def _traceback_frames(exc: BaseException) -> Iterator[TracebackType]:
    tb = exc.__traceback__
    while tb is not None:
        yield tb
        tb = tb.tb_next
