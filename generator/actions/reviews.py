"""Writing, sealing and opening review files (`handbook review`, `calibrate`, `reveal`).

Opening a sealed review happens in memory only: nothing here writes clear content anywhere except
`reveal_decided`, which `handbook reveal` uses after a decision when the settings allow it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..check.reviews import (
    CONTENT_KEYS,
    SALT_KEY,
    SCHEMA,
    ReviewError,
    body_of,
    check_document,
    content_from,
    dump_yaml,
    with_counting,
)
from ..check.signatures import content_digest, sign, signed_message
from ..load.loader import load_bytes, load_file
from ..load.safe_files import read_text, write_exclusive
from ..model.diagnostics import Diagnostic, error
from ..model.handbook import CheckedHandbook, Handbook, Packet, Review, ReviewProcess
from .modeline import schema_ref

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

MAX_IDENTITY_BYTES = 64 * 1024
DAMAGED = "the sealed block cannot be opened with a key it names: it is damaged or was replaced"
NOT_YOURS = (
    "the sealed block cannot be opened with the key given: it is damaged, or sealed to other keys "
    "(a member who can open it runs `handbook reseal`)"
)
Pairs = tuple[str, ...]  # repeated KEY=VALUE options
DRAFT_HEADER = {"reviewer": "draft", "packet": "draft", "date": "2000-01-01"}  # a draft is checked as a review


class ReviewUsageError(ReviewError):
    """A review given on the command line that cannot be understood (exit status 2, as a usage error)."""

    exit_code = 2


def seal(body: dict[str, Any], recipients: Iterable[str]) -> str:
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


def signed_review(
    relative: str,
    packet_file: str,
    header: dict[str, Any],
    body: dict[str, Any],
    process: ReviewProcess,
    key: Ed25519PrivateKey | None,
    root: Path | None = None,
) -> str:
    """The text of a new review file: signed by `key` (when given) over the canonical assessment,
    then sealed to the committee when the settings say so. The signature is made before sealing
    and covers a salted digest of the content, so resealing keeps it valid."""
    import secrets

    canonical_body = body_of(content_from(body))
    header = dict(header)
    if process.sealing:
        salt = secrets.token_hex(16)
        digest = content_digest(canonical_body, salt)
        recipients = [r for _, r in process.committee]
        armored = seal({SALT_KEY: salt, **canonical_body}, recipients)
        header.update(recipients=recipients, commitment=digest)
    else:
        digest = content_digest(canonical_body)
    if key is not None:
        header["signature"] = sign(
            key,
            signed_message(
                header["reviewer"], packet_file, header["date"], digest, header["packet_digest"], header.get("replaces")
            ),
        )
    if process.sealing:
        return file_text(relative, header, armored=armored, root=root)
    return file_text(relative, header, canonical_body, root=root)


def file_text(
    relative: str,
    header: dict[str, Any],
    body: dict[str, Any] | None = None,
    armored: str | None = None,
    root: Path | None = None,
) -> str:
    """The text of a review file: modeline, clear header, then the sealed block or the open body."""
    schema = schema_ref(root, relative, "review") if root is not None else f"{'../' * relative.count('/')}{SCHEMA}"
    modeline = f"# yaml-language-server: $schema={schema}\n"
    if armored is not None:
        note = "# Sealed with age to the promotion committee: only reviewer, packet and date are in clear.\n"
        return modeline + note + dump_yaml({**header, "sealed": armored})
    return modeline + dump_yaml({**header, **(body or {})})


def write_new(path: Path, text: str, replace_existing: bool = False) -> None:
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


def open_review(item: Review, identities: list[Any], keys: frozenset[str] = frozenset()) -> Review:
    """A sealed review decrypted in memory and checked against the review schema. One that cannot
    be opened, or holds no valid assessment, comes back still sealed with `unopened` saying why:
    it is shown and not counted, and the rest of the cycle goes on. `keys`: the identities' public
    keys, to tell a block sealed to other members from a damaged one."""
    if not item.sealed or item.armored is None:
        return item
    import pyrage

    try:
        raw = pyrage.decrypt(item.armored.encode("ascii"), identities)
    except pyrage.DecryptError:
        return replace(item, unopened=DAMAGED if keys & set(item.recipients) else NOT_YOURS)
    display = f"{item.file} (sealed content)"
    loaded = load_bytes(raw, display)
    problems = [d for d in loaded.diagnostics if d.severity == "error"]
    body = loaded.document.data if loaded.document is not None else None
    salt = body.pop(SALT_KEY, None) if isinstance(body, dict) else None
    if not problems and not (
        isinstance(body, dict) and set(body) <= set(CONTENT_KEYS) and (salt is None or isinstance(salt, str))
    ):
        problems = [error(display, "sealed-content", "the sealed content is not a review assessment")]
    if not problems and isinstance(body, dict):
        problems = check_document(
            {"reviewer": item.reviewer, "packet": item.packet, "date": item.date, **body}, display
        )
    if problems or not isinstance(body, dict):
        return replace(
            item,
            unopened=f"the sealed content is not a valid review ({problems[0].message})"
            if problems
            else "the sealed content is not a valid review",
        )
    return replace(item, content=content_from(body), armored=None, salt=salt)


def open_packets(hb: Handbook, packets: Iterable[Packet], identities: list[Any] | None) -> tuple[Packet, ...]:
    """The packets with every sealed review opened. Without identities, sealed reviews stay sealed."""
    keys = frozenset(str(i.to_public()) for i in identities or ())
    result = []
    for packet in packets:
        if identities and packet.sealed_reviews:
            packet = replace(packet, reviews=tuple(open_review(r, identities, keys) for r in packet.reviews))
        result.append(packet)
    return tuple(result)


# --- the assessment from a draft file and the command line ------------------------------------


def _pairs(values: Pairs, option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise ReviewUsageError(f"{option}: '{value}' is not KEY=VALUE")
        pairs.append((key.strip(), rest.strip()))
    return pairs


def _draft(root: Path, source: Path, sealing: bool) -> dict[str, Any]:
    if sealing and source.resolve().is_relative_to(root.resolve()):
        raise ReviewError(
            f"{source} is inside the repository: keep your draft outside it, since it holds your "
            "review in clear and could be committed"
        )
    loaded = load_file(source, str(source))
    errors = [d for d in loaded.diagnostics if d.severity == "error"]
    if loaded.document is None or errors:
        first = errors[0] if errors else None
        where = f"{first.file}:{first.line}:{first.column}: {first.message}" if first else str(source)
        raise ReviewError(f"{where}; {source} could not be read as YAML")
    data = loaded.document.data
    if not isinstance(data, dict) or not set(data) <= set(CONTENT_KEYS):
        raise ReviewError(f"{source} must be a mapping with only these keys: {', '.join(CONTENT_KEYS)}")
    return dict(data)


def review_body(
    root: Path,
    source: Path | None,
    ratings: Pairs,
    notes: Pairs,
    met: Pairs,
    not_met: Pairs,
    counterexamples: Pairs,
    sealing: bool,
) -> dict[str, Any]:
    """The review's body: the draft file (kept outside the repository when sealing), then the flags."""
    body: dict[str, Any] = _draft(root, source, sealing) if source is not None else {}
    if source is not None and check_document({**DRAFT_HEADER, **body}, str(source)):
        return body  # not a valid draft: its problems are reported at its line:col; nothing is merged into it
    table = dict(body.get("ratings") or {})
    for dim, value in _pairs(ratings, "--rating"):
        if not re.fullmatch(r"[0-9]{1,3}", value):
            raise ReviewUsageError(f"--rating: rating '{value}' for {dim} is not a whole number")
        entry = table[dim] if isinstance(table.get(dim), dict) else {}
        table[dim] = {**entry, "rating": int(value)}
    for dim, text in _pairs(notes, "--note"):
        if dim not in table:
            raise ReviewUsageError(f"--note: a note for '{dim}' needs a --rating {dim}=N too")
        table[dim] = {**table[dim], "note": text}
    if table:
        body["ratings"] = table
    judged = list(body.get("criteria") or [])
    for option, pairs, judgement, field in (
        ("--met", met, "met", "convincing"),
        ("--not-met", not_met, "not-met", "unconvincing"),
    ):
        for criterion, ids in _pairs(pairs, option):
            evidence = [i.strip() for i in ids.split(",") if i.strip()]
            judged.append({"criterion": criterion, "judgement": judgement, **({field: evidence} if evidence else {})})
    if judged:
        body["criteria"] = judged
    examples = list(body.get("counterexamples") or []) + [{"description": text} for text in counterexamples]
    if examples:
        body["counterexamples"] = examples
    return body


def valid_reviewer_id(reviewer: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", reviewer)) and len(reviewer) <= 64


# --- a cycle's sealed reviews ------------------------------------------------------------------


def open_cycle(hb: CheckedHandbook, cycle: str, identity: Path | None) -> CheckedHandbook:
    """The handbook with the cycle's sealed reviews opened in memory (never written)."""
    if cycle not in hb.settings.cycle_ids:
        raise ReviewUsageError(
            f"CYCLE: unknown review cycle '{cycle}' (known: {', '.join(sorted(hb.settings.cycle_ids))})"
        )
    chosen = [p for p in hb.packets if p.cycle == cycle]
    sealed = sum(p.sealed_reviews for p in chosen)
    if sealed and identity is None:
        raise ReviewError(
            f"{sealed} review(s) of cycle {cycle} are sealed: pass --identity KEYFILE, a committee "
            "member's age identity"
        )
    identities = read_identities(identity) if identity else None
    unsealed = open_packets(hb, chosen, identities)
    was_sealed = {r.file for p in chosen for r in p.reviews if r.sealed}
    tried = [r for p in unsealed for r in p.reviews if r.file in was_sealed]
    if tried and all(r.unopened == NOT_YOURS for r in tried):  # none opened: the wrong key, not a damaged block
        raise ReviewError(
            f"this identity cannot open the sealed reviews of cycle {cycle}: they were sealed to the "
            "committee's keys and the key given is not one of them"
        )
    opened = {p.file: p for p in with_counting(hb.settings.review_process, unsealed)}
    return dataclasses.replace(hb, packets=tuple(opened.get(p.file, p) for p in hb.packets))


def reveal_decided(
    current: CheckedHandbook, cycle: str, identity: Path | None, root: Path
) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Write the decided packets' verified sealed reviews of `cycle` in clear (the settings allow it:
    checked by the caller), keeping signature, digest and salt so they stay verifiable. Returns the
    review files written, the packets whose reviews stay sealed, and (file, why) for reviews left
    sealed because they do not count."""
    hb = open_cycle(current, cycle, identity)
    chosen = [p for p in hb.packets if p.cycle == cycle]
    originals = {r.file: r for p in current.packets if p.cycle == cycle for r in p.reviews}
    sealed = [r for p in chosen if p.is_decided for r in p.reviews if originals[r.file].sealed]
    revealed = [r for r in sealed if r.content]
    refused = [(r.file, r.unverified) for r in sealed if r.unverified is not None]
    texts = {
        r.file: file_text(r.file, _clear_header(r), body_of(r.content), root=root)
        for r in revealed
        if r.content is not None and r.unverified is None
    }
    waiting = [p.file for p in current.packets if p.cycle == cycle and not p.is_decided and p.sealed_reviews]
    for relative, text in texts.items():
        write_exclusive(root / relative, text)
    return list(texts), waiting, refused


def _clear_header(item: Review) -> dict[str, Any]:
    header: dict[str, Any] = {
        "reviewer": item.reviewer,
        "packet": item.packet,
        "date": item.date,
        "packet_digest": item.packet_digest,
        "replaces": item.replaces,
    }
    if item.signature is not None:
        header.update(commitment=item.commitment, salt=item.salt, signature=item.signature)
    return {k: v for k, v in header.items() if v is not None}


def reseal(current: CheckedHandbook, cycle: str, identity: Path, root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Re-encrypt the cycle's sealed reviews to the current committee. The content (and its salt)
    is unchanged, so the signed digest and the signature stay valid. Returns the files rewritten,
    and (file, why) for the sealed reviews that could not be opened, left as they are."""
    hb = open_cycle(current, cycle, identity)
    process = current.settings.review_process
    recipients = [r for _, r in process.committee]
    originals = {r.file: r for p in current.packets if p.cycle == cycle for r in p.reviews}
    written: list[str] = []
    left: list[tuple[str, str]] = []
    for packet in hb.packets:
        for item in packet.reviews if packet.cycle == cycle else ():
            if not originals[item.file].sealed:
                continue
            if item.content is None:
                left.append((item.file, item.unverified or item.unopened or "it could not be opened"))
                continue
            body = body_of(item.content)
            armored = seal({SALT_KEY: item.salt, **body} if item.salt is not None else body, recipients)
            header: dict[str, Any] = {"reviewer": item.reviewer, "packet": item.packet, "date": item.date}
            header.update(
                {k: v for k, v in (("packet_digest", item.packet_digest), ("replaces", item.replaces)) if v is not None}
            )
            header["recipients"] = recipients
            if item.commitment is not None:
                header["commitment"] = item.commitment
            if item.signature is not None:
                header["signature"] = item.signature
            write_exclusive(root / item.file, file_text(item.file, header, armored=armored, root=root))
            written.append(item.file)
    return written, left


def in_draft(source: Path, problems: list[Diagnostic]) -> list[Diagnostic]:
    """Problems of a review written from a --from draft, pointed at the draft's line:col when the
    value came from it (the review file does not exist yet)."""
    loaded = load_file(source, str(source))
    document = loaded.document
    if document is None or not isinstance(document.data, dict):
        return problems
    located = []
    for problem in problems:
        pointer = problem.pointer
        if pointer and pointer[0] in document.data:
            located.append(document.locate(dataclasses.replace(problem, file=str(source))))
        else:
            located.append(problem)
    return located
