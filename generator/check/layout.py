"""The single-repository layout: real packets sitting where a public site is published from."""

from __future__ import annotations

from ..model.diagnostics import Diagnostic, warning
from ..model.handbook import Handbook


def private_packets_warning(handbook: Handbook, separate: bool) -> list[Diagnostic]:
    """The single-repository layout: warn that real packets sit where a site is published from."""
    if separate or handbook.settings is None or handbook.settings.acknowledge_private_packets:
        return []
    real = [p for p in handbook.packets if not p.is_example]
    if not real:
        return []
    return [
        warning(
            handbook.settings.file,
            "private-packets-in-handbook",
            f"{len(real)} non-example packet(s) sit in the repository that publishes the handbook, so "
            "everyone who can read it can read them: move them to a packets repository (`handbook init "
            "packets DIR --handbook URL`) or acknowledge with publish.acknowledge_private_packets: true",
            ("publish",),
        )
    ]
