"""Conflict rules for assigning reviewers: who may not review which packet. Pure.

One rule always holds: no one reviews their own packet (the packet's `candidate_id`, or a
registered reviewer whose name is the candidate's). The settings may add: the candidate's
manager, declared conflicts, and a limit of packets per reviewer in one cycle.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator

from ..model.handbook import Handbook, Packet, ReviewProcess


def person_key(name: str) -> str:
    """A name or id compared loosely: 'Pat  Doe', 'pat-doe', 'pat doe' and 'Pät Doe' are one person.
    Compatibility forms and accents are folded (NFKD, marks dropped, casefold); letters of any
    script are kept, never dropped, so a name cannot be made to match nothing."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()
    return re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", folded)).strip("-")


def _candidate(packet: Packet) -> set[str]:
    return {person_key(packet.candidate)} | {person_key(i) for i in packet.candidate_ids}


def is_candidate(process: ReviewProcess, packet: Packet, reviewer: str) -> bool:
    registered = process.reviewer(reviewer)
    names = {person_key(reviewer)} | ({person_key(registered.name)} if registered and registered.name else set())
    return bool(names & _candidate(packet))


def conflict(process: ReviewProcess, packet: Packet, reviewer: str, load: int = 0) -> str | None:
    """Why `reviewer` may not be assigned `packet`, or None. `load`: packets already assigned to
    them in the packet's cycle, this one not counted."""
    why = interest_conflict(process, packet, reviewer)
    if why is not None:
        return why
    limit = process.conflicts.max_packets_per_reviewer
    if limit is not None and load >= limit:
        return f"they already review {load} packet(s) this cycle, the limit is {limit}"
    return None


def interest_conflict(process: ReviewProcess, packet: Packet, reviewer: str) -> str | None:
    """Why `reviewer` may never judge `packet` (own packet, manager, declared), or None: the
    rules a review is held to whoever wrote the assignment."""
    rules = process.conflicts
    if is_candidate(process, packet, reviewer):
        return "it is their own packet"
    if rules.manager and reviewer in packet.managers:
        return "they are the candidate's manager (conflict rule `manager`)"
    candidate = _candidate(packet)
    for who, whom in rules.declared:
        if who == reviewer and person_key(whom) in candidate:
            return "a declared conflict (review_process.conflicts.declared)"
    return None


def cycle_load(packets: Iterable[Packet], cycle: str, leave_out: str | None = None) -> Counter[str]:
    """How many packets of `cycle` each reviewer is assigned to (leaving out one packet file)."""
    return Counter(r for p in packets if p.cycle == cycle and p.file != leave_out for r in p.assigned)


def assignment_conflicts(hb: Handbook) -> Iterator[tuple[str, Packet, str, str]]:
    """(assignments file, packet, reviewer, why) for every recorded assignment breaking a rule."""
    if hb.settings is None:
        return
    process = hb.settings.review_process
    files = {a.packet_file: a.file for a in hb.assignments}
    seen: Counter[tuple[str, str]] = Counter()
    for packet in hb.packets:
        for reviewer in packet.assigned:
            problem = conflict(process, packet, reviewer, seen[(packet.cycle, reviewer)])
            seen[(packet.cycle, reviewer)] += 1
            if problem is not None:
                yield files.get(packet.file, packet.file), packet, reviewer, problem


def overloaded(packets: Iterable[Packet], process: ReviewProcess, cycle: str) -> list[tuple[str, int, int]]:
    """(reviewer, packets assigned, limit) for every reviewer over the cycle's limit: what one
    repository cannot see when a cycle spans several."""
    limit = process.conflicts.max_packets_per_reviewer
    if limit is None:
        return []
    return [(r, n, limit) for r, n in sorted(cycle_load(packets, cycle).items()) if n > limit]
