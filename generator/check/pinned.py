"""Packets pinned to an older criteria version are checked against that version's criteria."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from ..model.diagnostics import Diagnostic
from ..model.handbook import Handbook, Packet
from ..model.pinned import packet_view


def check_pinned(
    handbook: Handbook, findings: list[Diagnostic], today: date, check_all: Callable[[Handbook, date], list[Diagnostic]]
) -> list[Diagnostic]:
    """Replace the findings for packets pinned to an older, known version with findings computed
    against that version's criteria (their levels, criteria and composite)."""
    if not handbook.pinned:
        return findings
    groups: dict[str, list[Packet]] = {}
    for packet in handbook.packets:
        if packet.criteria_version in handbook.pinned:
            groups.setdefault(packet.criteria_version, []).append(packet)
    moved = {p.file for group in groups.values() for p in group}
    kept = [f for f in findings if f.file not in moved]
    for version, group in groups.items():
        files = {p.file for p in group}
        view = packet_view(handbook.pinned[version], handbook, tuple(group))
        kept.extend(f for f in check_all(view, today) if f.file in files)
    return kept
