"""`handbook new packet`: a ready-to-fill packet at the right path, never over an existing file."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..check import schema_check
from ..compute.promotion import counted_criteria, explain, is_track_change, rule_of
from ..load.loader import load_bytes, resolve_plain
from ..load.repository import PACKET_NAME_MAX, PACKET_NAME_PATTERN
from ..model.errors import ScaffoldError
from ..model.handbook import CheckedHandbook, Decision, Handbook, Level, Packet, ReviewCycle, Track
from ..render.pages import template_environment
from ..render.template_errors import template_problem
from .modeline import schema_ref


def evidence_enum(field: str) -> tuple[str, ...]:
    """The values the packet schema allows for one evidence field (kind, role): one source of truth."""
    schema = json.loads(schema_check.schema_text("packet"))
    return tuple(schema["$defs"]["evidence"]["properties"][field]["enum"])


@dataclass(frozen=True)
class NewPacket:
    path: Path
    relative: str
    text: str


# Letters that do not decompose into an ASCII letter and a mark, but have an obvious spelling.
_TRANSLITERATION = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
        "ħ": "h",
        "Ħ": "H",
    }
)
# Invisible characters that reorder or hide text (bidi controls); a name never needs them.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SLUG_HASH = 8
_PLAIN_SAFE = re.compile(r"[a-z0-9][a-z0-9.-]*")


NAME_MAX = 200  # the schemas' limit for names and titles


def check_name(name: str) -> str:
    """The candidate's name as it will be written, or a ScaffoldError saying what is wrong with it."""
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI_CONTROLS:
            raise ScaffoldError(
                f"the candidate's name holds the control character U+{ord(char):04X}; "
                "write the name on one line, without control characters"
            )
    name = name.strip()
    if not name:
        raise ScaffoldError("the candidate's name is empty")
    if len(name) > NAME_MAX:
        raise ScaffoldError(
            f"the candidate's name is {len(name):,} characters long; names hold at most "
            f"{NAME_MAX} (write the name people use day to day)"
        )
    return name


def slugify(name: str) -> str:
    """A file name for any printable name: ASCII where the transliteration is obvious (Zoë Müller ->
    zoe-muller); otherwise what could be spelt plus a short hash of the whole name, so that names
    written in other scripts (李小龍, 山田太郎, emoji) get distinct, stable, safe file names."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_TRANSLITERATION))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_name = kept.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    room = PACKET_NAME_MAX - _SLUG_HASH - 1
    lost = any((c.isalnum() or unicodedata.category(c).startswith("S")) and not c.isascii() for c in kept)
    if lost or not slug:
        digest = hashlib.sha256(unicodedata.normalize("NFC", name).encode()).hexdigest()[:_SLUG_HASH]
        slug = f"{slug[:room].rstrip('-')}-{digest}" if slug else f"candidate-{digest}"
    slug = slug[:PACKET_NAME_MAX].rstrip("-")
    assert PACKET_NAME_PATTERN.fullmatch(slug), slug
    return slug


def yaml_quoted(value: object) -> str:
    """A YAML scalar that reads back as exactly `value`, whatever it holds. Ids and versions stay plain
    when they read back as the same text; anything else is double-quoted, with quotes and backslashes
    escaped and every character YAML could take as a line break or not print written as an escape."""
    text = str(value)
    if _PLAIN_SAFE.fullmatch(text) and resolve_plain(text) == (text, None):
        return text
    out = ['"']
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif _yaml_printable(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def yaml_comment(value: object) -> str:
    """Text for a `#` comment: one line, nothing YAML could read as a line break or refuse."""
    words = " ".join(str(value).split())
    return "".join(c if _yaml_printable(c) else f"\\u{ord(c):04x}" for c in words)


def _yaml_printable(char: str) -> bool:
    """Printable in YAML and not a line break (YAML 1.1 counts NEL, LS and PS as line breaks)."""
    code = ord(char)
    if char in "\x85\u2028\u2029\ufeff" or unicodedata.category(char) == "Cs":
        return False
    return 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def choose_cycle(cycles: tuple[ReviewCycle, ...], today: date) -> ReviewCycle:
    """The open cycle, else the next one to open, else the latest."""
    iso = today.isoformat()
    for cycle in cycles:
        if cycle.opens <= iso <= cycle.closes:
            return cycle
    upcoming = sorted((c for c in cycles if c.opens > iso), key=lambda c: c.opens)
    return upcoming[0] if upcoming else max(cycles, key=lambda c: c.closes)


def choose_track(hb: CheckedHandbook, target: Level, current_id: str | None, track_id: str | None) -> Track:
    """The track the packet moves on (`--track`), else the one where the current level is below the target,
    else an allowed track change (settings: track_changes) at the same or a higher rank."""
    tracks = hb.tracks_of(target.id)
    if track_id is not None:
        chosen = next((t for t in tracks if t.id == track_id), None)
        if chosen is None:
            on = ", ".join(t.id for t in tracks) or "no track"
            raise ScaffoldError(f"--track: {target.title} ({target.id}) is not on track '{track_id}'; it is on {on}")
        candidates: tuple[Track, ...] = (chosen,)
    else:
        candidates = tracks
    if current_id is None:
        return candidates[0]
    promoted = next((t for t in candidates if hb.is_below(current_id, target.id, t.id)), None)
    if promoted is not None:
        return promoted
    for to in candidates:
        for source in hb.tracks_of(current_id):
            if (
                source.id != to.id
                and hb.settings.allows_move(source.id, to.id)
                and to.levels.index(target.id) >= source.levels.index(current_id)
            ):
                return to
    moves = ", ".join(f"{a} → {b}" for a, b in hb.settings.track_changes) or "none are declared in track_changes"
    raise ScaffoldError(
        f"{target.id} is not above {current_id} on a shared track, and no allowed track change leads "
        f"there at the same or a higher rank (allowed moves: {moves})"
    )


def plan_packet(
    hb: CheckedHandbook,
    root: Path,
    candidate: str,
    target_id: str,
    cycle_id: str | None,
    current_id: str | None,
    today: date,
    track_id: str | None = None,
    data_root: Path | None = None,
) -> NewPacket:
    """`data_root`: where the packet will be written (a packets repository), when not `root`."""
    target = _level(hb, target_id, "--target")
    if current_id:
        current = _level(hb, current_id, "--current")
        track = choose_track(hb, target, current.id, track_id)
    else:
        track = choose_track(hb, target, None, track_id)
        index = track.levels.index(target.id)
        if index == 0:
            raise ScaffoldError(f"{target.title} is the first level of its track: there is nothing to be promoted from")
        current = _level(hb, track.levels[index - 1], "--current")
    cycles = hb.settings.review_cycles
    if cycle_id:
        if cycles and cycle_id not in {c.id for c in cycles}:
            raise ScaffoldError(f"unknown cycle '{cycle_id}' (known: {', '.join(c.id for c in cycles)})")
        cycle_name = cycle_id
    elif cycles:
        cycle_name = choose_cycle(cycles, today).id
    else:
        raise ScaffoldError(
            f"the settings declare no review cycles: name the packet's cycle with --cycle, e.g. --cycle {today.year}"
        )
    candidate = check_name(candidate)
    relative = f"packets/{cycle_name}/{slugify(candidate)}.yaml"
    path = root / relative
    probe = Packet(
        slug="",
        candidate=candidate,
        visibility="private",
        cycle=cycle_name,
        criteria_version="0.0.0",
        track=track.id,
        current_level=current.id,
        target_level=target.id,
        summary="",
        evidence=(),
        team_context=None,
        assessments=(),
        decision=Decision(status="draft"),
        file=relative,
    )
    rule = rule_of(hb, probe)
    change = current.id if is_track_change(hb, probe) else None
    criteria = [(d, cs) for d in hb.ordered_dimensions if (cs := counted_criteria(hb, rule, target.id, d, change))]
    env = template_environment(root / "site_config" / "templates")
    env.filters.update(yaml_str=yaml_quoted, comment=yaml_comment)
    try:
        text = env.get_template("new_packet.yaml.j2").render(
            candidate=candidate,
            current=current,
            target=target,
            track=track.id,
            cycle=cycle_name,
            version=hb.settings.criteria_version,
            criteria_by_dimension=criteria,
            kinds=", ".join(evidence_enum("kind")),
            roles=", ".join(evidence_enum("role")),
            rule=explain(rule),
            track_change=change is not None,
            packet_path=relative,
            schema_path=schema_ref(data_root or root, relative, "packet"),
            example_ids=", ".join(c.id for _, cs in criteria for c in cs[:1]),
        )
    except Exception as exc:  # raised inside the template: say where, without a traceback
        problem = template_problem(exc)
        if problem is None:
            raise
        raise ScaffoldError(problem) from None
    check_scaffold(
        text,
        relative,
        candidate,
        expected={
            "cycle": cycle_name,
            "track": track.id,
            "current_level": current.id,
            "target_level": target.id,
            "visibility": "private",
        },
    )
    return NewPacket(path, relative, text)


def check_scaffold(text: str, relative: str, candidate: str, expected: dict[str, str]) -> None:
    """Read the file about to be written with the project's own loader and packet schema, and check
    that it says what was asked: nothing in a name or a criterion may break or rewrite it."""
    loaded = load_bytes(text.encode("utf-8"), relative)
    problems = list(loaded.diagnostics)
    if loaded.document is not None:
        problems += schema_check.check(loaded.document, "packet")
        data = loaded.document.data
        wanted = {"candidate": candidate, **expected}
        if not problems and isinstance(data, dict) and any(data.get(k) != v for k, v in wanted.items()):
            changed = ", ".join(k for k, v in wanted.items() if data.get(k) != v)
            raise ScaffoldError(
                f"the packet template would write {relative} with other values than asked "
                f"for ({changed}); nothing was written"
            )
    if problems:
        first = problems[0]
        raise ScaffoldError(
            f"the packet template would write an invalid file, so nothing was written: "
            f"{first.file}:{first.line}:{first.column}: {first.message} "
            "(check site_config/templates/new_packet.yaml.j2)"
        )


def _level(hb: Handbook, level_id: str, option: str) -> Level:
    level = hb.level(level_id)
    if level is None:
        known = ", ".join(lvl.id for lvl in hb.levels)
        raise ScaffoldError(f"{option}: unknown level '{level_id}' (known: {known})")
    return level


def write_new(packet: NewPacket) -> None:
    """Create the file; refuse if anything is already there (even if created a moment ago)."""
    packet.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(packet.path, "x", encoding="utf-8") as handle:
            handle.write(packet.text)
    except FileExistsError:
        raise ScaffoldError(f"{packet.relative} already exists; refusing to overwrite it") from None
