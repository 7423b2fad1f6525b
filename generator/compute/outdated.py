"""Each 'version behind' warning, explained: what changed since the version the packet pins."""

from __future__ import annotations

from dataclasses import replace

from ..model.diagnostics import Report
from .semantic_diff import SemanticDiff, diff_handbooks


def explain_outdated_packets(report: Report) -> Report:
    """Add to each 'version behind' warning what changed since for the packet's target level."""
    if not any(d.code == "version-behind" for d in report.diagnostics):
        return report
    packets = {p.file: p for p in report.handbook.packets}
    diffs: dict[str, SemanticDiff | None] = {}
    updated = []
    for diagnostic in report.diagnostics:
        packet = packets.get(diagnostic.file)
        if diagnostic.code == "version-behind" and packet:
            pinned = report.handbook.pinned.get(packet.criteria_version)
            if packet.criteria_version not in diffs:
                diffs[packet.criteria_version] = diff_handbooks(pinned, report.handbook) if pinned else None
            since = diffs[packet.criteria_version]
            changes = since.for_level(packet.target_level) if since else None
            judged = (
                f"it is checked and scored against {packet.criteria_version}, as pinned (`handbook repin` moves it)"
                if pinned
                else f"criteria {packet.criteria_version} are not in the handbook's "
                "history (no tag criteria-v" + packet.criteria_version + " and no commit declaring it): "
                "it is checked against the current criteria"
            )
            message = f"{diagnostic.message}; {judged}"
            if changes is not None:
                listed = "; ".join(f"{c.action} {c.subject}" for c in changes[:8]) or "nothing"
                extra = f" (+{len(changes) - 8} more)" if len(changes) > 8 else ""
                message += f"; changed since for {packet.target_level}: {listed}{extra}"
            diagnostic = replace(diagnostic, message=message)
        updated.append(diagnostic)
    return replace(report, diagnostics=tuple(updated))
