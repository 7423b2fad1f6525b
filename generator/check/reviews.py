"""Review files: one reviewer's assessment of one packet, in its own file beside the packet.

    packets/<cycle>/<slug>.yaml                     the candidate's packet
    packets/<cycle>/<slug>.reviews/<reviewer>.yaml  one file per reviewer (never the candidate's file)

When the settings turn sealing on, the assessment (ratings and notes, criteria judged met or not
with the evidence that convinced or failed to, counterexamples) is encrypted with age to the
committee's public keys and ASCII-armored; only reviewer, packet and date stay in clear. This
module reads review files into the model and checks them; sealing, opening and writing them is
in actions/reviews.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import yaml

from ..load.loader import Document, resolve_plain
from ..model.diagnostics import Diagnostic, error, warning
from ..model.errors import HandbookError
from ..model.handbook import (
    Assignment,
    Counterexample,
    CriterionJudgement,
    DimensionRating,
    Handbook,
    Packet,
    Review,
    ReviewContent,
    ReviewProcess,
)
from . import schema_check
from .conflicts import interest_conflict
from .signatures import CONTENT_CHANGED, canonical, content_digest, review_problem

FOLDER_SUFFIX = ".reviews"
CONTENT_KEYS = ("ratings", "criteria", "counterexamples")
SALT_KEY = "salt"  # inside a sealed review: what makes its signed digest unguessable
SCHEMA = "generator/check/schemas/review.schema.json"


class ReviewError(HandbookError):
    """A review that cannot be written, opened or revealed; the message says why and where."""


# --- model -----------------------------------------------------------------------------------

NOT_CHECKED = "not checked yet"  # a review read from a file counts only once with_counting has passed it


def review(file: str, data: dict[str, Any]) -> Review:
    """The model of a schema-valid review file (sealed or open): not counted until checked."""
    content = None if "sealed" in data else content_from(data)
    return Review(
        reviewer=data["reviewer"],
        packet=data["packet"],
        date=data["date"],
        file=file,
        content=content,
        armored=data.get("sealed"),
        signature=data.get("signature"),
        commitment=data.get("commitment"),
        recipients=tuple(data.get("recipients", ())),
        salt=data.get("salt"),
        unverified=NOT_CHECKED,
        packet_digest=data.get("packet_digest"),
        replaces=data.get("replaces"),
    )


def assignments(file: str, data: dict[str, Any]) -> tuple[Assignment, ...]:
    """The entries of a schema-valid packets/<cycle>/assignments.yaml."""
    return tuple(
        Assignment(
            cycle=data["cycle"],
            packet=slug,
            reviewers=tuple(entry["reviewers"]),
            assigned=entry["assigned"],
            file=file,
            candidate_id=entry.get("candidate_id"),
            manager=entry.get("manager"),
        )
        for slug, entry in data["packets"].items()
    )


def attach_assignments(packets: tuple[Packet, ...], entries: Iterable[Assignment]) -> tuple[Packet, ...]:
    by_file = {a.packet_file: a for a in entries}
    return tuple(
        replace(
            p,
            assigned=(a := by_file[p.file]).reviewers,
            assigned_on=a.assigned,
            committee_ids=(a.candidate_id or "", a.manager or ""),
        )
        if p.file in by_file
        else p
        for p in packets
    )


def content_from(data: dict[str, Any]) -> ReviewContent:
    return ReviewContent(
        ratings=tuple(
            DimensionRating(dimension=dim, rating=r["rating"], note=r.get("note")) for dim, r in data["ratings"].items()
        ),
        criteria=tuple(
            CriterionJudgement(
                criterion=c["criterion"],
                met=c["judgement"] == "met",
                convincing=tuple(c.get("convincing", ())),
                unconvincing=tuple(c.get("unconvincing", ())),
                note=c.get("note"),
            )
            for c in data.get("criteria", ())
        ),
        counterexamples=tuple(
            Counterexample(description=c["description"], criterion=c.get("criterion"))
            for c in data.get("counterexamples", ())
        ),
    )


def attach_reviews(packets: tuple[Packet, ...], reviews: Iterable[Review]) -> tuple[Packet, ...]:
    by_packet: dict[str, list[Review]] = {}
    for item in reviews:
        by_packet.setdefault(item.packet_file, []).append(item)
    return tuple(
        replace(p, reviews=tuple(sorted(by_packet[p.file], key=lambda r: r.reviewer))) if p.file in by_packet else p
        for p in packets
    )


def body_of(content: ReviewContent) -> dict[str, Any]:
    """The canonical document body of a review's content: what is written in clear, sealed and signed."""
    body: dict[str, Any] = {
        "ratings": {r.dimension: {"rating": r.rating, **({"note": r.note} if r.note else {})} for r in content.ratings}
    }
    if content.criteria:
        body["criteria"] = [
            {
                "criterion": c.criterion,
                "judgement": "met" if c.met else "not-met",
                **({"convincing": list(c.convincing)} if c.convincing else {}),
                **({"unconvincing": list(c.unconvincing)} if c.unconvincing else {}),
                **({"note": c.note} if c.note else {}),
            }
            for c in content.criteria
        ]
    if content.counterexamples:
        body["counterexamples"] = [
            {"description": c.description, **({"criterion": c.criterion} if c.criterion else {})}
            for c in content.counterexamples
        ]
    return body


# --- attribution -------------------------------------------------------------------------------


def attribution_required(process: ReviewProcess) -> bool:
    """Reviews must be signed once the settings register reviewers with their keys."""
    return bool(process.reviewers)


def packet_digest(packet: Packet) -> str:
    """What a review's signature binds of its packet: everything the candidate wrote to be judged
    on (never the committee's decision or appeal blocks, written after the reviews)."""
    from dataclasses import asdict

    judged = {
        "candidate": packet.candidate,
        "track": packet.track,
        "current_level": packet.current_level,
        "target_level": packet.target_level,
        "criteria_version": packet.criteria_version,
        "summary": packet.summary,
        "evidence": [asdict(e) for e in packet.evidence],
    }
    return "sha256:" + hashlib.sha256(canonical(judged)).hexdigest()


def verification(process: ReviewProcess, item: Review, packet: Packet | None = None) -> str | None:
    """Why this review does not count, or None. A sealed review is checked by its signed digest;
    once opened, its content must match that digest too."""
    if item.unopened is not None:
        return item.unopened
    if item.content is None and item.armored is not None:
        broken = sealed_problem(item.armored, item.recipients)
        if broken is not None:
            return broken
    if not attribution_required(process):
        return None
    if item.content is None:
        digest = item.commitment
    elif item.salt is not None or item.commitment is not None:
        digest = content_digest(body_of(item.content), item.salt)
        if digest != item.commitment:
            return CONTENT_CHANGED
    else:
        digest = content_digest(body_of(item.content))
    now = packet_digest(packet) if packet is not None else None
    return review_problem(
        process,
        item.reviewer,
        item.packet_file,
        item.date,
        item.signature,
        digest,
        item.packet_digest,
        now or "",
        item.replaces,
    )


# Why a review is not counted, by kind: each kind is reported by `validate` with its own code.
UNVERIFIED, CONFLICT, UNASSIGNED = "review-unverified", "review-conflict", "review-unassigned"


@dataclass(frozen=True)
class NotCounted:
    code: str  # UNVERIFIED | CONFLICT | UNASSIGNED
    why: str


def standing(process: ReviewProcess, packet: Packet, reviewer: str) -> NotCounted | None:
    """Why `reviewer`'s review of `packet` would not count whatever it says, or None: a conflict
    of interest (own packet, manager, declared), or no assignment naming them. Asked before a
    review is written, and of every review read."""
    why = interest_conflict(process, packet, reviewer)
    if why is not None:
        return NotCounted(CONFLICT, why)
    if packet.assigned and reviewer not in packet.assigned:
        return NotCounted(UNASSIGNED, f"not assigned to this packet (assigned: {', '.join(packet.assigned)})")
    if not packet.assigned and attribution_required(process) and not packet.is_example:
        return NotCounted(
            UNASSIGNED, "no reviewer is assigned to this packet yet (the committee runs `handbook assign`)"
        )
    return None


def not_counted(process: ReviewProcess, packet: Packet, item: Review) -> NotCounted | None:
    """Why this review is not counted, or None: the one rule behind every count (calibration,
    status, readiness, the composite, numbers vs narrative, process health)."""
    problem = verification(process, item, packet)
    if problem is not None:
        return NotCounted(UNVERIFIED, problem)
    return standing(process, packet, item.reviewer)


def in_file_not_counted(process: ReviewProcess, packet: Packet) -> str | None:
    """Why a packet's in-file assessments block does not count: once reviewers are registered,
    ratings typed into a real packet (which its candidate edits) are signed by nobody."""
    if packet.assessments and attribution_required(process) and not packet.is_example:
        return (
            "typed into the packet, signed by nobody: once reviewers are registered only review files "
            "written with `handbook review` count"
        )
    return None


AGE_HEADER = b"age-encryption.org/v1\n"


def sealed_problem(armored: str, recipients: tuple[str, ...]) -> str | None:
    """Why a sealed block cannot be an age file sealed to its `recipients` (checked without any key),
    or None. What only a key can tell (a replaced or damaged body) is found when it is opened."""
    import base64
    import binascii

    lines = armored.strip().splitlines()
    try:
        raw = base64.b64decode("".join(line.strip() for line in lines[1:-1]), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    header = raw.split(b"\n---", 1)[0] if raw.startswith(AGE_HEADER) else b""
    stanzas = sum(line.startswith(b"-> X25519 ") for line in header.split(b"\n"))
    if not stanzas or b"\n---" not in raw:
        return "the sealed block cannot be opened: it is not an age-encrypted file (damaged or replaced)"
    if recipients and stanzas != len(recipients):
        return (
            f"the sealed block cannot be opened as written: it is sealed to {stanzas} key(s), its header "
            f"names {len(recipients)}"
        )
    return None


def with_counting(process: ReviewProcess, packets: Iterable[Packet]) -> tuple[Packet, ...]:
    """The packets with every review, and the in-file assessments, marked: counted, or why not."""
    result = []
    for p in packets:
        reviews = tuple(
            replace(r, unverified=(n.why if (n := not_counted(process, p, r)) else None)) for r in p.reviews
        )
        result.append(replace(p, reviews=reviews, in_file_not_counted=in_file_not_counted(process, p)))
    return tuple(result)


def review_file(packet_file: str, reviewer: str) -> str:
    """Where a reviewer's file for a packet lives, relative to the repository."""
    return f"{packet_file.removesuffix('.yaml')}{FOLDER_SUFFIX}/{reviewer}.yaml"


# --- writing ---------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Text stays text when read back by our loader: anything it would read otherwise, or call
    ambiguous (YAML 1.1's y, n, on, 0o17, 1_000...), is quoted."""
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    resolved, problem = resolve_plain(value)
    style = '"' if problem is not None or resolved != value or not isinstance(resolved, str) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def check_document(data: Any, display: str) -> list[Diagnostic]:
    """Schema problems of a review document that exists only in memory."""
    return schema_check.check(
        Document(display, data, source=dump_yaml(data) if isinstance(data, dict) else ""), "review"
    )


# --- cross-reference rules -------------------------------------------------------------------


def review_rules(hb: Handbook) -> Iterator[Diagnostic]:
    packets = {p.file: p for p in hb.packets}
    process = hb.settings.review_process if hb.settings else None
    sealing = bool(process and process.sealing)
    for item in hb.reviews:
        stem = item.file.rsplit("/", 1)[-1].removesuffix(".yaml")
        if item.reviewer != stem:
            yield error(
                item.file,
                "review-name",
                f"reviewer '{item.reviewer}' does not match the file name '{stem}.yaml'",
                ("reviewer",),
            )
        packet = packets.get(item.packet_file)
        if packet is None:
            if not hb.is_declared("packet", item.packet):
                yield error(item.file, "review-orphan", f"no packet {item.packet_file} for this review")
            continue
        if item.packet != packet.slug:
            yield error(
                item.file,
                "review-packet",
                f"packet '{item.packet}' does not match the folder: this review belongs to '{packet.slug}'",
                ("packet",),
            )
        if item.content is not None:
            yield from content_problems(hb, packet, item)
            if sealing and not packet.is_decided:
                yield error(
                    item.file,
                    "review-in-clear",
                    "sealing is on, but this review is in clear before the "
                    f"decision: write it with `handbook review {packet.file} --reviewer {item.reviewer}` "
                    "to seal it",
                )
    yield from _attribution_rules(hb)
    yield from _assignment_rules(hb)
    if sealing:
        for packet in hb.packets:
            if (
                packet.assessments
                and not packet.is_decided
                and not packet.is_example
                and not (process and attribution_required(process))
            ):
                yield warning(
                    packet.file,
                    "assessments-in-file",
                    "sealing is on: record each review with "
                    f"`handbook review {packet.file} --reviewer NAME` instead of the in-file assessments "
                    "block, which every reviewer and the candidate can read",
                    ("assessments",),
                )
        yield from _recipient_rules(hb)


def review_date_rules(hb: Handbook, today: date) -> Iterator[Diagnostic]:
    """A review's date is the reviewer's own word (signed, not proved): at least it may not lie in
    the future, nor after the packet's decision (a revealed review keeps the date it was written)."""
    day = today.isoformat()
    for packet in hb.packets:
        for item in packet.reviews:
            if item.date > day:
                yield error(item.file, "review-date", f"dated {item.date}, after today ({day})", ("date",))
            elif packet.decision.date and packet.is_decided and item.date > packet.decision.date:
                yield error(
                    item.file,
                    "review-date",
                    f"dated {item.date}, after the decision of "
                    f"{packet.decision.date}: reviews close when the committee decides",
                    ("date",),
                )


def content_problems(hb: Handbook, packet: Packet, item: Review) -> Iterator[Diagnostic]:
    if item.content is None:
        return  # sealed: nothing to check until it is opened
    evidence = {e.id for e in packet.evidence}
    for rating in item.content.ratings:
        if hb.dimension(rating.dimension) is None and not hb.is_declared("dimension", rating.dimension):
            yield error(
                item.file,
                "unknown-dimension",
                f"unknown dimension '{rating.dimension}'",
                ("ratings", rating.dimension),
                on_key=True,
            )
    for index, judgement in enumerate(item.content.criteria):
        if hb.criterion(judgement.criterion) is None and not hb.is_declared("criterion", judgement.criterion):
            yield error(
                item.file,
                "unknown-criterion",
                f"unknown criterion '{judgement.criterion}'",
                ("criteria", index, "criterion"),
            )
        for field in ("convincing", "unconvincing"):
            for position, evidence_id in enumerate(getattr(judgement, field)):
                if evidence_id not in evidence:
                    yield error(
                        item.file,
                        "unknown-evidence",
                        f"'{evidence_id}' is not an evidence id of {packet.file}",
                        ("criteria", index, field, position),
                    )
    for index, example in enumerate(item.content.counterexamples):
        if (
            example.criterion
            and hb.criterion(example.criterion) is None
            and not hb.is_declared("criterion", example.criterion)
        ):
            yield error(
                item.file,
                "unknown-criterion",
                f"unknown criterion '{example.criterion}'",
                ("counterexamples", index, "criterion"),
            )


def _attribution_rules(hb: Handbook) -> Iterator[Diagnostic]:
    """Every review that does not count, and why (the same rule the counts use)."""
    if hb.settings is None:
        return
    process = hb.settings.review_process
    if not attribution_required(process) and any(not p.is_example for p in hb.packets if p.reviews):
        yield warning(
            hb.settings.file,
            "reviews-unattributed",
            "reviews are not signed, so anyone who can push "
            "can write one under any reviewer's name: register each reviewer with the SSH key they "
            "sign with (review_process.reviewers; `handbook keys new --reviewer ID` makes one)",
            ("review_process",),
        )
    for packet in hb.packets:
        why_in_file = in_file_not_counted(process, packet)
        if why_in_file is not None:
            yield warning(
                packet.file,
                "assessments-not-counted",
                f"these ratings do not count: {why_in_file} (`handbook review {packet.file} --reviewer ID`)",
                ("assessments",),
            )
        for item in packet.reviews:
            found = not_counted(process, packet, item)
            if found is None:
                continue
            if found.code == UNVERIFIED:
                yield error(
                    item.file,
                    UNVERIFIED,
                    f"the review by '{item.reviewer}' does not count: "
                    f"{found.why}. Only {item.reviewer} can write it, with `handbook review {packet.file} "
                    f"--reviewer {item.reviewer} --signing-key KEYFILE`",
                    ("reviewer",),
                )
            elif found.code == CONFLICT:
                yield error(
                    item.file,
                    CONFLICT,
                    f"the review by '{item.reviewer}' does not count: {found.why}; remove it",
                    ("reviewer",),
                )
            else:
                yield warning(
                    item.file, UNASSIGNED, f"the review by '{item.reviewer}' does not count: {found.why}", ("reviewer",)
                )


def _assignment_rules(hb: Handbook) -> Iterator[Diagnostic]:
    from .conflicts import assignment_conflicts

    if hb.settings is None:
        return
    process = hb.settings.review_process
    for entry in hb.assignments:
        where = ("packets", entry.packet)
        if entry.file.split("/")[-2] != entry.cycle:
            yield error(
                entry.file,
                "assignment-cycle",
                f"cycle '{entry.cycle}' does not match the folder '{entry.file.split('/')[-2]}'",
                ("cycle",),
            )
        packet = hb.packet(entry.packet_file)
        if packet is None:
            yield error(entry.file, "assignment-packet", f"no packet {entry.packet_file}", where, on_key=True)
            continue
        for index, reviewer in enumerate(entry.reviewers):
            if attribution_required(process) and process.reviewer(reviewer) is None:
                yield error(
                    entry.file,
                    "assignment-reviewer",
                    f"'{reviewer}' is not a registered reviewer (review_process.reviewers in the settings)",
                    (*where, "reviewers", index),
                )
    for file, packet, reviewer, problem in assignment_conflicts(hb):
        index = packet.assigned.index(reviewer)
        yield error(
            file,
            "assignment-conflict",
            f"{reviewer} may not review {packet.file}: {problem}",
            ("packets", packet.slug, "reviewers", index),
        )


def _recipient_rules(hb: Handbook) -> Iterator[Diagnostic]:
    import pyrage

    settings = hb.settings
    if settings is None:
        return
    current = {r for _, r in settings.review_process.committee}
    drifted: dict[str, list[Review]] = {}
    for item in hb.reviews:
        if item.sealed and set(item.recipients) != current:
            drifted.setdefault(item.file.split("/")[-3] if item.file.count("/") >= 3 else "", []).append(item)
    for cycle, items in drifted.items():
        yield warning(
            items[0].file,
            "review-recipients",
            f"{len(items)} sealed review(s) of cycle {cycle} are "
            "sealed to other keys than the current committee's, so a member may be unable to open them: "
            f"run `handbook reseal {cycle} --identity KEYFILE` (a member who can open them)",
            ("recipients",),
        )
    for index, (member, recipient) in enumerate(settings.review_process.committee):
        try:
            pyrage.x25519.Recipient.from_str(recipient)
        except pyrage.RecipientError:
            yield error(
                settings.file,
                "age-recipient",
                f"the age public key of '{member}' is not valid (check it was copied whole)",
                ("review_process", "sealing", "committee", index, "recipient"),
            )
