"""Where a cycle stands: per packet, who is assigned, which reviews are in (and whether they
count), who still owes one, the due date and the decision. Pure: the packets come with their
reviews already checked (Review.unverified), today comes in as data.

Nothing here reads a review's content: a sealed review is counted as in by its file alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..check.conflicts import overloaded
from ..model.handbook import Handbook, Packet


@dataclass(frozen=True)
class ReviewIn:
    reviewer: str
    date: str
    counted: bool
    why_not: str | None  # why it does not count (signature), None when it counts
    assigned: bool


@dataclass(frozen=True)
class PacketStatus:
    file: str
    slug: str
    candidate: str
    target_level: str
    repository: str | None  # the packets repository it lives in, when a cycle spans several
    assigned: tuple[str, ...]
    reviews: tuple[ReviewIn, ...]
    owed_by: tuple[str, ...]
    decision: str
    decided: bool
    appeal: str | None

    @property
    def counted(self) -> int:
        return sum(r.counted for r in self.reviews)

    @property
    def not_counted(self) -> int:
        return sum(not r.counted for r in self.reviews)


@dataclass(frozen=True)
class Owed:
    reviewer: str
    handle: str | None  # who to mention in the tracking issue
    packets: tuple[str, ...]


@dataclass(frozen=True)
class Overload:
    reviewer: str
    packets: int
    limit: int


@dataclass(frozen=True)
class CycleStatus:
    cycle: str
    name: str
    due: str
    days_left: int
    packets: tuple[PacketStatus, ...]
    owed: tuple[Owed, ...]
    unassigned: tuple[str, ...]  # packet files with no assignment yet
    overloaded: tuple[Overload, ...] = ()  # reviewers over the cycle's limit (several repositories together)

    @property
    def overdue(self) -> bool:
        return self.days_left < 0 and bool(self.owed)


def packet_status(packet: Packet, repository: str | None = None) -> PacketStatus:
    reviews = tuple(
        ReviewIn(
            r.reviewer, r.date, r.unverified is None, r.unverified, not packet.assigned or r.reviewer in packet.assigned
        )
        for r in packet.reviews
    )
    counted = {r.reviewer for r in reviews if r.counted}
    owed = tuple(r for r in packet.assigned if r not in counted) if packet.decision.status == "submitted" else ()
    return PacketStatus(
        packet.file,
        packet.slug,
        packet.candidate,
        packet.target_level,
        repository,
        packet.assigned,
        reviews,
        owed,
        packet.decision.status,
        packet.is_decided,
        packet.appeal.status if packet.appeal else None,
    )


def cycle_status(hb: Handbook, cycle_id: str, today: date, repositories: dict[str, str] | None = None) -> CycleStatus:
    """`repositories`: packet file -> the packets repository it came from (a cycle manifest)."""
    assert hb.settings is not None
    cycle = next(c for c in hb.settings.review_cycles if c.id == cycle_id)
    chosen = sorted((p for p in hb.packets if p.cycle == cycle_id and not p.is_example), key=lambda p: p.file)
    rows = tuple(packet_status(p, (repositories or {}).get(p.file)) for p in chosen)
    owing: dict[str, list[str]] = {}
    for row in rows:
        for reviewer in row.owed_by:
            owing.setdefault(reviewer, []).append(row.file)
    owed = tuple(Owed(r, _handle(hb, r), tuple(files)) for r, files in sorted(owing.items()))
    days = (date.fromisoformat(cycle.due) - today).days
    unassigned = tuple(r.file for r in rows if not r.assigned and r.decision in ("draft", "submitted"))
    over = tuple(Overload(*o) for o in overloaded(chosen, hb.settings.review_process, cycle_id))
    return CycleStatus(cycle.id, cycle.name, cycle.due, days, rows, owed, unassigned, over)


def _handle(hb: Handbook, reviewer: str) -> str | None:
    found = hb.settings.review_process.reviewer(reviewer) if hb.settings else None
    return found.handle if found else None


def current_cycle(hb: Handbook, today: date) -> str | None:
    """The cycle a scheduled job reports on: the one whose reviews are under way (opened, not yet
    past its due date), else the next to open, else the last."""
    cycles = sorted(hb.settings.review_cycles if hb.settings else (), key=lambda c: c.opens)
    day = today.isoformat()
    running = [c for c in cycles if c.opens <= day <= c.due]
    coming = [c for c in cycles if c.opens > day]
    chosen = running[-1:] or coming[:1] or cycles[-1:]
    return chosen[0].id if chosen else None
