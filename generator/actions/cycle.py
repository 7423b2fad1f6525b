"""The committee's writes during a cycle: assignments, decisions and appeals.

Each write is checked before anything touches the disk: the new text is loaded and schema-checked
in memory, then replaces the file in one rename. A decision is computed from reviews opened in
memory only; what is written is the committee's own words (outcome, rationale, feedback) and,
when the decision goes against the numbers, that the flag was discussed - never a rating, a
note or any other part of a sealed review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..check import schema_check
from ..check.conflicts import conflict, cycle_load
from ..check.reviews import ReviewError, dump_yaml
from ..compute.calibration import CONFLICT_FLAG, conflict_bar
from ..compute.calibration import conflict as numbers_conflict
from ..compute.coverage import packet_coverage
from ..compute.scoring import packet_score
from ..load.loader import MAX_FILE_BYTES, load_bytes, load_file
from ..load.safe_files import read_text, write_exclusive
from ..model.handbook import CheckedHandbook, Decision, Packet
from ..model.pinned import criteria_of
from .modeline import schema_ref

ASSIGNMENTS = "assignments.yaml"
ASSIGNMENTS_SCHEMA = "generator/check/schemas/assignments.schema.json"
DISCUSSED = f"{CONFLICT_FLAG.split(':')[0]}: discussed by the committee"
OUTCOMES = ("promoted", "not-yet", "withdrawn")


class CycleError(ReviewError):
    """A committee step that cannot be taken; the message says why and what to do."""


class CycleUsageError(CycleError):
    """A value given on the command line that cannot be written (exit status 2, as a usage error)."""

    exit_code = 2


# --- writing a YAML file safely ------------------------------------------------------------------

Options = dict[tuple[str, ...], str]  # where a value typed on the command line lands -> its option


def _replace_file(path: Path, text: str, kind: str, display: str, options: Options | None = None) -> None:
    """Check `text` as a `kind` document, then put it at `path` in one rename. A problem with a
    value given on the command line names its option (`options`), not a line of the file."""
    loaded = load_bytes(text.encode("utf-8"), display)
    problems = [d for d in loaded.diagnostics if d.severity == "error"]
    if loaded.document is not None and not problems:
        problems = schema_check.check(loaded.document, kind)
    if problems:
        first = problems[0]
        option = next((o for where, o in (options or {}).items() if tuple(first.pointer[: len(where)]) == where), None)
        if option is not None:
            raise CycleUsageError(f"{option}: {first.message}; nothing was written")
        raise CycleError(f"{first.file}:{first.line}:{first.column}: {first.message}; nothing was written")
    write_exclusive(path, text)  # the one writer: a temporary file created exclusively, then renamed


# --- assign --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    reviewer: str
    why: str


def assignment_refusals(hb: CheckedHandbook, packet: Packet, reviewers: list[str]) -> list[Refusal]:
    """Every reason the assignment breaks the rules (empty: it may be recorded)."""
    process = hb.settings.review_process
    load = cycle_load(hb.packets, packet.cycle, leave_out=packet.file)
    refusals = []
    for reviewer in reviewers:
        if process.reviewers and process.reviewer(reviewer) is None:
            refusals.append(Refusal(reviewer, "not a registered reviewer (review_process.reviewers)"))
            continue
        why = conflict(process, packet, reviewer, load[reviewer])
        if why is not None:
            refusals.append(Refusal(reviewer, why))
    return refusals


def assign(
    hb: CheckedHandbook,
    data_root: Path,
    packet: Packet,
    reviewers: list[str],
    today: str,
    candidate_id: str | None = None,
    manager: str | None = None,
) -> str:
    """Record the assignment in packets/<cycle>/assignments.yaml, with who the candidate and their
    manager are as the committee knows them (the packet is the candidate's to edit); returns that file."""
    if packet.file != f"packets/{packet.cycle}/{packet.slug}.yaml":
        raise CycleError(
            f"{packet.file}: assignments are kept per cycle, for packets at packets/{packet.cycle}/{packet.slug}.yaml"
        )
    known = dict(zip(("candidate_id", "manager"), packet.committee_ids))  # recorded at an earlier assignment
    candidate_id = candidate_id or known.get("candidate_id") or packet.candidate_id
    manager = manager or known.get("manager") or packet.manager
    if candidate_id is None and hb.settings.review_process.reviewers:
        raise CycleError(
            f"{packet.file} does not say who the candidate is as a person id: pass --candidate-id ID "
            "(as reviewers are registered), so that the conflict rules can hold"
        )
    packet = replace(packet, committee_ids=(candidate_id or "", manager or ""))
    refusals = assignment_refusals(hb, packet, reviewers)
    if refusals:
        raise CycleError(
            "assignment refused, nothing was written: " + "; ".join(f"{r.reviewer}: {r.why}" for r in refusals)
        )
    relative = f"packets/{packet.cycle}/{ASSIGNMENTS}"
    path = data_root / relative
    data: dict[str, Any] = {"cycle": packet.cycle, "packets": {}}
    if path.is_file():
        loaded = load_file(path, relative)
        if loaded.document is not None and isinstance(loaded.document.data, dict):
            data = dict(loaded.document.data)
            data["packets"] = dict(data.get("packets") or {})
    entry: dict[str, Any] = {"reviewers": list(reviewers), "assigned": today}
    entry.update({k: v for k, v in (("candidate_id", candidate_id), ("manager", manager)) if v})
    data["packets"][packet.slug] = entry
    modeline = f"# yaml-language-server: $schema={schema_ref(data_root, relative, 'assignments')}\n"
    note = "# Written by `handbook assign`, which checks the settings' conflict rules.\n"
    _replace_file(path, modeline + note + dump_yaml(data), "assignments", relative)
    return relative


# --- decide and appeal ---------------------------------------------------------------------------


def numbers_disagree(hb: CheckedHandbook, packet: Packet, outcome: str) -> str | None:
    """The calibration flag for this outcome (reviews already opened and checked), or None."""
    pinned = criteria_of(hb, packet)
    coverage = packet_coverage(pinned, packet)
    score = packet_score(pinned, packet, coverage.ratio)
    decided = replace(packet, decision=Decision(status=outcome))  # type: ignore[arg-type]
    return numbers_conflict(decided, score, conflict_bar(hb))


_TOP_KEY = re.compile(r"^[^\s#-][^:]*:", re.MULTILINE)


def _with_block(text: str, key: str, value: dict[str, Any]) -> str:
    """The packet's text with the top-level `key` block replaced (or added at the end); every
    other line, comments included, kept."""
    block = dump_yaml({key: value})
    start = re.search(rf"^{re.escape(key)}:", text, re.MULTILINE)
    if start is None:
        return text.rstrip("\n") + "\n" + block
    following = _TOP_KEY.search(text, start.end())
    end = following.start() if following else len(text)
    return text[: start.start()] + block + text[end:]


def may_decide(packet: Packet) -> None:
    """Refuse to overwrite a decision: once made, it is made again only after an appeal is overturned."""
    if packet.appeal is not None and packet.appeal.status == "pending":
        raise CycleError(
            f"{packet.file} has a pending appeal (filed {packet.appeal.filed}): resolve it first with "
            f"`handbook appeal {packet.file} --resolve upheld|overturned`; nothing was written"
        )
    if packet.decision.status in OUTCOMES and not (packet.appeal and packet.appeal.status == "overturned"):
        raise CycleError(
            f"{packet.file} is already decided ({packet.decision.status}"
            f"{', ' + packet.decision.date if packet.decision.date else ''}): a decision is made again "
            "only after an appeal is overturned; nothing was written"
        )


def decide(
    root: Path,
    packet: Packet,
    outcome: str,
    rationale: str,
    feedback: str,
    today: str,
    effective: str | None,
    disagreement: str | None,
    discussed: bool,
) -> None:
    """Write the decision block. `disagreement`: the calibration flag for this outcome."""
    if outcome not in OUTCOMES:
        raise CycleError(f"--outcome must be one of {', '.join(OUTCOMES)}")
    may_decide(packet)
    if disagreement is not None and not discussed:
        raise CycleError(
            f"{CONFLICT_FLAG} ({disagreement}). Discuss it in the committee, then run again with "
            "--discussed and a --rationale that says why the decision goes against the numbers"
        )
    value: dict[str, Any] = {"status": outcome, "date": today, "rationale": rationale, "feedback": feedback}
    if effective:
        value["effective"] = effective
    if disagreement is not None:
        value["against_numbers"] = DISCUSSED
    path = root / packet.file
    _replace_file(
        path,
        _with_block(read_text(path, MAX_FILE_BYTES, what="packet"), "decision", value),
        "packet",
        packet.file,
        {
            ("decision", "rationale"): "--rationale",
            ("decision", "feedback"): "--feedback",
            ("decision", "effective"): "--effective",
        },
    )


def appeal(root: Path, packet: Packet, reason: str, today: str) -> None:
    if not packet.is_decided:
        raise CycleError(f"{packet.file} has no decision to appeal (decision: {packet.decision.status})")
    if packet.appeal is not None:
        raise CycleError(f"{packet.file} already has an appeal ({packet.appeal.status}, filed {packet.appeal.filed})")
    path = root / packet.file
    value = {"filed": today, "status": "pending", "reason": reason}
    _replace_file(
        path,
        _with_block(read_text(path, MAX_FILE_BYTES, what="packet"), "appeal", value),
        "packet",
        packet.file,
        {("appeal", "reason"): "--reason"},
    )


def resolve_appeal(root: Path, packet: Packet, outcome: str, rationale: str, today: str) -> None:
    if packet.appeal is None or packet.appeal.status != "pending":
        raise CycleError(f"{packet.file} has no pending appeal to resolve")
    if outcome not in ("upheld", "overturned"):
        raise CycleError("--resolve must be upheld or overturned")
    value: dict[str, Any] = {"filed": packet.appeal.filed, "status": outcome, "decided": today}
    if packet.appeal.reason:
        value["reason"] = packet.appeal.reason
    value["rationale"] = rationale
    path = root / packet.file
    _replace_file(
        path,
        _with_block(read_text(path, MAX_FILE_BYTES, what="packet"), "appeal", value),
        "packet",
        packet.file,
        {("appeal", "rationale"): "--rationale"},
    )
