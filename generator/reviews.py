"""Review files: one reviewer's assessment of one packet, in its own file beside the packet.

    packets/<cycle>/<slug>.yaml                     the candidate's packet
    packets/<cycle>/<slug>.reviews/<reviewer>.yaml  one file per reviewer (never the candidate's file)

When the settings turn sealing on, the assessment (ratings and notes, criteria judged met or not
with the evidence that convinced or failed to, counterexamples) is encrypted with age to the
committee's public keys and ASCII-armored; only reviewer, packet and date stay in clear. Opening
a sealed review happens in memory only: nothing here writes clear content anywhere except
`reveal_text`, which `handbook reveal` uses after a decision when the settings allow it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from . import schema_check
from .errors import HandbookError
from .diagnostics import Diagnostic, error, warning
from .loader import Document, load_bytes
from .model import (
    Counterexample,
    CriterionJudgement,
    DimensionRating,
    Handbook,
    Packet,
    Review,
    ReviewContent,
)

FOLDER_SUFFIX = ".reviews"
CONTENT_KEYS = ("ratings", "criteria", "counterexamples")
SCHEMA = "generator/schemas/review.schema.json"
MAX_IDENTITY_BYTES = 64 * 1024


class ReviewError(HandbookError):
    """A review that cannot be written, opened or revealed; the message says why and where."""


# --- model -----------------------------------------------------------------------------------

def review(file: str, data: dict) -> Review:
    """The model of a schema-valid review file (sealed or open)."""
    content = None if "sealed" in data else content_from(data)
    return Review(reviewer=data["reviewer"], packet=data["packet"], date=data["date"], file=file, content=content, armored=data.get("sealed"))


def content_from(data: dict) -> ReviewContent:
    return ReviewContent(
        ratings=tuple(DimensionRating(dimension=dim, rating=r["rating"], note=r.get("note")) for dim, r in data["ratings"].items()),
        criteria=tuple(CriterionJudgement(criterion=c["criterion"], met=c["judgement"] == "met", convincing=tuple(c.get("convincing", ())),
                                 unconvincing=tuple(c.get("unconvincing", ())), note=c.get("note")) for c in data.get("criteria", ())),
        counterexamples=tuple(Counterexample(description=c["description"], criterion=c.get("criterion")) for c in data.get("counterexamples", ())))


def attach_reviews(packets: tuple[Packet, ...], reviews: Iterable[Review]) -> tuple[Packet, ...]:
    by_packet: dict[str, list[Review]] = {}
    for item in reviews:
        by_packet.setdefault(item.packet_file, []).append(item)
    return tuple(replace(p, reviews=tuple(sorted(by_packet[p.file], key=lambda r: r.reviewer)))
                 if p.file in by_packet else p for p in packets)


def review_file(packet_file: str, reviewer: str) -> str:
    """Where a reviewer's file for a packet lives, relative to the repository."""
    return f"{packet_file.removesuffix('.yaml')}{FOLDER_SUFFIX}/{reviewer}.yaml"


# --- writing ---------------------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_yaml(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def check_document(data: Any, display: str) -> list[Diagnostic]:
    """Schema problems of a review document that exists only in memory."""
    return schema_check.check(Document(display, data, source=dump_yaml(data) if isinstance(data, dict) else ""),
                              "review")


def seal(body: dict, recipients: Iterable[str]) -> str:
    """The assessment encrypted with age to every recipient, ASCII-armored."""
    import pyrage

    try:
        keys = [pyrage.x25519.Recipient.from_str(r) for r in recipients]
    except pyrage.RecipientError as problem:
        raise ReviewError(f"a committee recipient in the site settings is not an age public key: {problem}") from None
    if not keys:
        raise ReviewError("sealing is on but the settings list no committee recipient")
    sealed: bytes = pyrage.encrypt(dump_yaml(body).encode("utf-8"), keys, armored=True)
    return sealed.decode("ascii")


def file_text(relative: str, header: dict, body: dict | None = None, armored: str | None = None) -> str:
    """The text of a review file: modeline, clear header, then the sealed block or the open body."""
    modeline = f"# yaml-language-server: $schema={'../' * relative.count('/')}{SCHEMA}\n"
    if armored is not None:
        note = "# Sealed with age to the promotion committee: only reviewer, packet and date are in clear.\n"
        return modeline + note + dump_yaml({**header, "sealed": armored})
    return modeline + dump_yaml({**header, **(body or {})})


def write_new(path: Path, text: str, replace_existing: bool = False) -> None:
    from .load.safe_files import write_exclusive

    path.parent.mkdir(parents=True, exist_ok=True)
    if replace_existing:  # a temporary file created exclusively, renamed over the old review (never a link's target)
        write_exclusive(path, text)
        return
    try:
        with open(path, "x", encoding="utf-8") as handle:  # O_EXCL: never through a planted link
            handle.write(text)
    except FileExistsError:
        raise ReviewError(f"{path} already exists; pass --replace to write a new version of your review") from None


# --- opening sealed reviews ------------------------------------------------------------------

def read_identities(path: Path) -> list[Any]:
    """The age identities (AGE-SECRET-KEY-1...) in an identity file; comments and blanks skipped."""
    import pyrage

    from .load.safe_files import read_text

    lines = read_text(path, MAX_IDENTITY_BYTES, what="identity file").splitlines()  # a FIFO or /dev/zero: an error
    identities = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise ReviewError(f"{path}:{number}: not an age identity (expected a line AGE-SECRET-KEY-1...)") from None
    if not identities:
        raise ReviewError(f"{path} holds no age identity (a line AGE-SECRET-KEY-1...)")
    return identities


def open_review(item: Review, identities: list[Any]) -> Review:
    """A sealed review decrypted in memory and checked against the review schema."""
    if not item.sealed or item.armored is None:
        return item
    import pyrage

    try:
        raw = pyrage.decrypt(item.armored.encode("ascii"), identities)
    except pyrage.DecryptError:
        raise ReviewError(f"{item.file}: this identity cannot open the review: it was sealed to the committee's "
                          "keys and the key given is not one of them") from None
    display = f"{item.file} (sealed content)"
    loaded = load_bytes(raw, display)
    problems = [d for d in loaded.diagnostics if d.severity == "error"]
    body = loaded.document.data if loaded.document is not None else None
    if not problems and not (isinstance(body, dict) and set(body) <= set(CONTENT_KEYS)):
        problems = [error(display, "sealed-content", "the sealed content is not a review assessment")]
    if not problems and isinstance(body, dict):
        problems = check_document({"reviewer": item.reviewer, "packet": item.packet, "date": item.date, **body},
                                  display)
    if problems or not isinstance(body, dict):
        first = problems[0]
        raise ReviewError(f"{first.file}: {first.message} [{first.code}]")
    return replace(item, content=content_from(body), armored=None)


def open_packets(hb: Handbook, packets: Iterable[Packet], identities: list[Any] | None) -> tuple[Packet, ...]:
    """The packets with every sealed review opened. Without identities, sealed reviews stay sealed."""
    result = []
    for packet in packets:
        if identities and packet.sealed_reviews:
            packet = replace(packet, reviews=tuple(open_review(r, identities) for r in packet.reviews))
        result.append(packet)
    return tuple(result)


def body_of(content: ReviewContent) -> dict:
    """The clear document body of an opened review (what `handbook reveal` writes)."""
    body: dict[str, Any] = {"ratings": {r.dimension: {"rating": r.rating, **({"note": r.note} if r.note else {})}
                                        for r in content.ratings}}
    if content.criteria:
        body["criteria"] = [{"criterion": c.criterion, "judgement": "met" if c.met else "not-met",
                             **({"convincing": list(c.convincing)} if c.convincing else {}),
                             **({"unconvincing": list(c.unconvincing)} if c.unconvincing else {}),
                             **({"note": c.note} if c.note else {})} for c in content.criteria]
    if content.counterexamples:
        body["counterexamples"] = [{"description": c.description, **({"criterion": c.criterion} if c.criterion else {})}
                                   for c in content.counterexamples]
    return body


# --- cross-reference rules -------------------------------------------------------------------

def review_rules(hb: Handbook) -> Iterator[Diagnostic]:
    packets = {p.file: p for p in hb.packets}
    process = hb.settings.review_process if hb.settings else None
    sealing = bool(process and process.sealing)
    for item in hb.reviews:
        stem = item.file.rsplit("/", 1)[-1].removesuffix(".yaml")
        if item.reviewer != stem:
            yield error(item.file, "review-name", f"reviewer '{item.reviewer}' does not match the file name "
                        f"'{stem}.yaml'", ("reviewer",))
        packet = packets.get(item.packet_file)
        if packet is None:
            if not hb.is_declared("packet", item.packet):
                yield error(item.file, "review-orphan", f"no packet {item.packet_file} for this review")
            continue
        if item.packet != packet.slug:
            yield error(item.file, "review-packet", f"packet '{item.packet}' does not match the folder: this review "
                        f"belongs to '{packet.slug}'", ("packet",))
        if item.content is not None:
            yield from content_problems(hb, packet, item)
            if sealing and not packet.is_decided:
                yield error(item.file, "review-in-clear", "sealing is on, but this review is in clear before the "
                            f"decision: write it with `handbook review {packet.file} --reviewer {item.reviewer}` "
                            "to seal it")
    if sealing:
        for packet in hb.packets:
            if packet.assessments and not packet.is_decided and not packet.is_example:
                yield warning(packet.file, "assessments-in-file", "sealing is on: record each review with "
                              f"`handbook review {packet.file} --reviewer NAME` instead of the in-file assessments "
                              "block, which every reviewer and the candidate can read", ("assessments",))
        yield from _recipient_rules(hb)


def content_problems(hb: Handbook, packet: Packet, item: Review) -> Iterator[Diagnostic]:
    if item.content is None:
        return  # sealed: nothing to check until it is opened
    evidence = {e.id for e in packet.evidence}
    for rating in item.content.ratings:
        if hb.dimension(rating.dimension) is None and not hb.is_declared("dimension", rating.dimension):
            yield error(item.file, "unknown-dimension", f"unknown dimension '{rating.dimension}'",
                        ("ratings", rating.dimension), on_key=True)
    for index, judgement in enumerate(item.content.criteria):
        if hb.criterion(judgement.criterion) is None and not hb.is_declared("criterion", judgement.criterion):
            yield error(item.file, "unknown-criterion", f"unknown criterion '{judgement.criterion}'",
                        ("criteria", index, "criterion"))
        for field in ("convincing", "unconvincing"):
            for position, evidence_id in enumerate(getattr(judgement, field)):
                if evidence_id not in evidence:
                    yield error(item.file, "unknown-evidence", f"'{evidence_id}' is not an evidence id of "
                                f"{packet.file}", ("criteria", index, field, position))
    for index, example in enumerate(item.content.counterexamples):
        if example.criterion and hb.criterion(example.criterion) is None \
                and not hb.is_declared("criterion", example.criterion):
            yield error(item.file, "unknown-criterion", f"unknown criterion '{example.criterion}'",
                        ("counterexamples", index, "criterion"))


def _recipient_rules(hb: Handbook) -> Iterator[Diagnostic]:
    import pyrage

    settings = hb.settings
    if settings is None:
        return
    for index, (member, recipient) in enumerate(settings.review_process.committee):
        try:
            pyrage.x25519.Recipient.from_str(recipient)
        except pyrage.RecipientError:
            yield error(settings.file, "age-recipient", f"the age public key of '{member}' is not valid "
                        "(check it was copied whole)",
                        ("review_process", "sealing", "committee", index, "recipient"))
