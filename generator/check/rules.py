"""Cross-reference checks over the whole model: pure functions from a Handbook to findings.

Each finding names a file and a JSON path; the validate stage turns paths into lines and columns.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from typing import Any

from ..model.diagnostics import Diagnostic, error, warning
from ..model.handbook import Dimension, Handbook, Level, Metric, Packet, checked
from ..model.versions import parse_version
from .governance import governance_report
from .promotion import promotion_rules
from .reviews import review_date_rules, review_rules

Rule = Callable[[Handbook, date], Iterable[Diagnostic]]  # every rule: the model and the day
WEIGHT_TOLERANCE = 1e-6


def check_all(handbook: Handbook, today: date) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for rule in RULES:
        found.extend(rule(handbook, today))
    return found


def did_you_mean(word: str, choices: Iterable[str], few: int = 8) -> str:
    """' (did you mean 'x'?)' for a near miss, and the valid choices when there are only a few."""
    choices = sorted(set(choices))
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    if choices and len(choices) <= few:
        hint += f"; valid: {', '.join(choices)}"
    return hint


def indefinite(word: str) -> str:
    """'a' or 'an' before a word as it is read aloud: an RFC (an rfc), an Engineering Manager, a user."""
    first = word.strip().split(" ", 1)[0] if word.strip() else ""
    if not first:
        return "a"
    if first.lower().startswith(("uni", "use", "usu", "uti", "eu", "one", "once")):
        return "a"  # read with a 'y' or 'w' sound: a user, a unit, a one-off
    acronym = first.isupper() or not any(c in "aeiouy" for c in first.lower())
    return "an" if first[0].lower() in ("aefhilmnorsx" if acronym else "aeiou") else "a"


def evidence_name(evidence: Any) -> str:
    return f"evidence '{evidence.id}' (item {evidence.index + 1})"


def _level_words(hb: Handbook, level_id: str) -> str:
    level = hb.level(level_id)
    return f"{level.title} ({level_id})" if level else f"'{level_id}'"


def _duplicates(items: Iterable[tuple[str, str, tuple[Any, ...]]], what: str) -> Iterator[Diagnostic]:
    """items: (id, file, pointer). Reports every occurrence after the first."""
    first: dict[str, str] = {}
    for identifier, file, pointer in items:
        if identifier in first:
            yield error(
                file,
                "duplicate-id",
                f"duplicate {what} id '{identifier}' (also defined in {first[identifier]})",
                pointer,
            )
        else:
            first[identifier] = file


def unique_ids(hb: Handbook) -> Iterator[Diagnostic]:
    yield from _duplicates(((lvl.id, lvl.file, ("id",)) for lvl in hb.levels), "level")
    yield from _duplicates(((d.id, d.file, ("id",)) for d in hb.dimensions), "dimension")
    yield from _duplicates(((m.id, m.file, ("id",)) for m in hb.metrics), "metric")
    yield from _duplicates(
        ((c.id, c.file, c.pointer + ("id",)) for d in hb.dimensions for c in d.criteria), "criterion"
    )
    yield from _duplicates(
        ((c.id, c.file, c.pointer + ("id",)) for d in hb.dimensions for c in d.milestone_criteria), "criterion"
    )
    for packet in hb.packets:
        first: dict[str, int] = {}
        for e in packet.evidence:
            if e.id in first:  # the same file: name the earlier item and its line
                yield replace(
                    error(
                        packet.file,
                        "duplicate-id",
                        f"duplicate evidence id '{e.id}': item {first[e.id] + 1} "
                        f"already uses it; give each piece of evidence its own id",
                        ("evidence", e.index, "id"),
                    ),
                    related=("evidence", first[e.id], "id"),
                )
            first.setdefault(e.id, e.index)


def ids_match_file_names(hb: Handbook) -> Iterator[Diagnostic]:
    items: tuple[Level | Dimension | Metric, ...] = (*hb.levels, *hb.dimensions, *hb.metrics)
    for item in items:
        stem = item.file.rsplit("/", 1)[-1].removesuffix(".yaml")
        if stem != item.id:
            yield error(
                item.file,
                "id-file-mismatch",
                f"id '{item.id}' does not match the file name '{stem}.yaml'; "
                f"rename the file or the id so people can find it",
                ("id",),
            )


def levels_and_tracks(hb: Handbook) -> Iterator[Diagnostic]:
    """Tracks are ordered ladders of level ids in the settings; a level may sit on several."""
    settings = hb.settings
    if settings is None:
        return
    yield from _duplicates(((t.id, settings.file, ("tracks", i, "id")) for i, t in enumerate(settings.tracks)), "track")
    order: dict[tuple[str, str], str] = {}  # (lower, higher) -> track that puts them so
    for ti, track in enumerate(settings.tracks):
        for li, level_id in enumerate(track.levels):
            if hb.level(level_id) is None and not hb.is_declared("level", level_id):
                yield error(
                    settings.file,
                    "unknown-level",
                    f"track '{track.id}' names unknown level '{level_id}' "
                    f"(add levels/{level_id}.yaml or remove it from the track)",
                    ("tracks", ti, "levels", li),
                )
            for lower in track.levels[:li]:
                if (level_id, lower) in order:
                    yield error(
                        settings.file,
                        "track-order",
                        f"track '{track.id}' puts '{lower}' below "
                        f"'{level_id}', but track '{order[(level_id, lower)]}' puts it above",
                        ("tracks", ti, "levels", li),
                    )
                order.setdefault((lower, level_id), track.id)
    for lvl in hb.levels:
        if not hb.tracks_of(lvl.id):
            yield error(
                lvl.file,
                "level-not-on-track",
                f"level '{lvl.id}' is on no track: add it to a track's levels in {settings.file}",
                ("id",),
            )
    groups = {g.id for g in settings.dimension_groups}
    yield from _duplicates(
        ((g.id, settings.file, ("dimension_groups", i, "id")) for i, g in enumerate(settings.dimension_groups)),
        "dimension group",
    )
    grouped: list[tuple[Dimension | Metric, str]] = [
        *((d, "dimension") for d in hb.dimensions),
        *((m, "metric") for m in hb.metrics),
    ]
    for item, kind in grouped:
        if item.group is not None and item.group not in groups:
            known = ", ".join(sorted(groups)) or "none declared"
            yield error(
                item.file,
                "unknown-group",
                f"{kind} group '{item.group}' is not a dimension group in {settings.file} (known: {known})",
                ("group",),
            )


def dimension_references(hb: Handbook) -> Iterator[Diagnostic]:
    for dim in hb.dimensions:
        for level_id in dim.level_ids:
            if hb.level(level_id) is None and not hb.is_declared("level", level_id):
                yield error(
                    dim.file,
                    "unknown-level",
                    f"expectations name unknown level '{level_id}'"
                    f"{did_you_mean(level_id, (lvl.id for lvl in hb.levels))}",
                    ("expectations", level_id),
                    on_key=True,
                )
        for index, metric_id in enumerate(dim.signals):
            yield from _metric_reference(hb, metric_id, dim.file, ("signals", index), "signal")
        for lvl in hb.levels:
            if _not_judged_on(hb, dim, lvl.id):
                continue
            if not hb.expected_criteria(lvl.id, dim.id):
                yield warning(
                    dim.file,
                    "level-without-criteria",
                    f"level '{lvl.id}' has no criteria in dimension '{dim.id}', not even carried up from a lower level",
                    ("expectations",),
                )
        yield from _raises(hb, dim)


def _not_judged_on(hb: Handbook, dim: Dimension, level_id: str) -> bool:
    """Levels below the dimension's first level, and levels judged by points (milestones), have no criteria
    by design: no warning for them."""
    if dim.starts_at and (level_id == dim.starts_at or hb.is_below(level_id, dim.starts_at)):
        return level_id != dim.starts_at
    tracks = hb.tracks_of(level_id)
    return bool(hb.settings and tracks and all(hb.settings.rule_for(t.id).rule == "points" for t in tracks))


def _raises(hb: Handbook, dim: Dimension) -> Iterator[Diagnostic]:
    """A criterion that raises another replaces a criterion of the same dimension at a lower level."""
    for criterion in dim.criteria:
        if criterion.raises is None:
            continue
        pointer = criterion.pointer + ("raises",)
        lower = hb.criterion(criterion.raises)
        if lower is None:
            if not hb.is_declared("criterion", criterion.raises):
                yield error(
                    dim.file,
                    "unknown-criterion",
                    f"criterion '{criterion.id}' raises unknown criterion '{criterion.raises}'",
                    pointer,
                )
        elif lower.dimension != dim.id:
            yield error(
                dim.file,
                "raises-other-dimension",
                f"criterion '{criterion.id}' raises '{lower.id}', a "
                f"criterion of dimension '{lower.dimension}'; it can only raise one of '{dim.id}'",
                pointer,
            )
        elif lower.level not in hb.levels_below(criterion.level):
            yield error(
                dim.file,
                "raises-not-below",
                f"criterion '{criterion.id}' (level '{criterion.level}') raises "
                f"'{lower.id}' of level '{lower.level}', which is not below it on any track",
                pointer,
            )


def _metric_reference(
    hb: Handbook, metric_id: str, file: str, pointer: tuple[Any, ...], what: str
) -> Iterator[Diagnostic]:
    metric = hb.metric(metric_id)
    if metric is None:
        if not hb.is_declared("metric", metric_id):
            yield error(
                file,
                "unknown-metric",
                f"{what} names unknown metric '{metric_id}'{did_you_mean(metric_id, (m.id for m in hb.metrics))}",
                pointer,
            )
    elif metric.governance.status == "retired":
        yield error(
            file,
            "retired-metric",
            f"{what} cites metric '{metric_id}', which was retired "
            f"(see {metric.file}); retired metrics cannot be cited",
            pointer,
        )


def metric_principles(hb: Handbook) -> Iterator[Diagnostic]:
    for metric in hb.metrics:
        if metric.subject == "individual":
            yield error(
                metric.file,
                "individual-metric",
                "a metric's subject cannot be an individual: DORA metrics and SLOs are team-level "
                "signals, never individual targets; use team, service or organisation",
                ("subject",),
            )
        if not metric.anti_gaming:
            yield error(
                metric.file,
                "no-anti-gaming",
                "every metric needs at least one anti-gaming rule (a risk and its guardrail)",
                ("anti_gaming",),
            )


def harm_reviews(hb: Handbook) -> Iterator[Diagnostic]:
    for metric in hb.metrics:
        reviews = metric.harm_reviews
        for index, review in enumerate(reviews):
            if index and review.date < reviews[index - 1].date:
                yield error(
                    metric.file,
                    "harm-review-order",
                    "harm reviews must be in date order, newest last",
                    ("harm_reviews", index, "date"),
                )
        if metric.governance.status == "retired" and not any(r.outcome == "retire" for r in reviews):
            yield error(
                metric.file,
                "retired-without-review",
                "a retired metric records its retirement: add a harm review with outcome 'retire'",
                ("governance", "status"),
            )
        if reviews and reviews[-1].outcome == "retire" and metric.governance.status != "retired":
            yield error(
                metric.file,
                "retire-not-applied",
                f"the harm review of {reviews[-1].date} retired this metric, but governance.status is not 'retired'",
                ("governance", "status"),
            )


def composite_rules(hb: Handbook) -> Iterator[Diagnostic]:
    comp = hb.composite
    if comp is None:
        return
    if comp.advisory is not True:
        yield error(
            comp.file,
            "composite-not-advisory",
            "the composite score must be advisory (advisory: true): "
            "it informs a promotion decision, it never makes one",
            ("advisory",),
        )
    if comp.scale_min >= comp.scale_max:
        yield error(comp.file, "bad-scale", "scale min must be below scale max", ("scale",))
    total = sum(c.weight for c in comp.components)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        yield error(
            comp.file, "weights-sum", f"component weights add up to {total:g}; they must add up to 1", ("components",)
        )
    counts = Counter(c.dimension for c in comp.components)
    for index, component in enumerate(comp.components):
        yield from _dimension_reference(hb, component.dimension, comp.file, ("components", index, "dimension"))
        if counts[component.dimension] > 1:
            yield error(
                comp.file,
                "duplicate-component",
                f"dimension '{component.dimension}' is weighted twice",
                ("components", index, "dimension"),
            )
    misspelled = any(hb.dimension(c.dimension) is None for c in comp.components)  # said once, as unknown
    for dim in hb.dimensions:
        if dim.id not in counts and not misspelled:
            yield warning(
                comp.file,
                "unweighted-dimension",
                f"dimension '{dim.id}' has no weight in the composite",
                ("components",),
            )
    for index, gate in enumerate(comp.gates):
        yield from _dimension_reference(hb, gate.dimension, comp.file, ("gates", index, "dimension"))
        for field in ("below", "cap"):
            value = getattr(gate, field)
            if not comp.scale_min <= value <= comp.scale_max:
                yield error(
                    comp.file,
                    "gate-out-of-scale",
                    f"gate {field} {value:g} lies outside the scale {comp.scale_min:g}–{comp.scale_max:g}",
                    ("gates", index, field),
                )


def _dimension_reference(hb: Handbook, dimension_id: str, file: str, pointer: tuple[Any, ...]) -> Iterator[Diagnostic]:
    if hb.dimension(dimension_id) is None and not hb.is_declared("dimension", dimension_id):
        yield error(
            file,
            "unknown-dimension",
            f"unknown dimension '{dimension_id}'{did_you_mean(dimension_id, (d.id for d in hb.dimensions))}",
            pointer,
        )


def packet_rules(hb: Handbook) -> Iterator[Diagnostic]:
    for packet in hb.packets:
        yield from packet_content(packet)
        yield from _packet_levels(hb, packet)
        yield from _packet_evidence(hb, packet)
        yield from _packet_links(hb, packet)
        yield from _packet_context(hb, packet)


def example_page_names(hb: Handbook) -> Iterator[Diagnostic]:
    """Each published example gets the page packets/<file name>/: two examples with the same file
    name in different folders would overwrite one another's page."""
    first: dict[str, str] = {}
    for packet in sorted((p for p in hb.packets if p.is_example), key=lambda p: p.file):
        if packet.slug in first:
            yield error(
                packet.file,
                "duplicate-page",
                f"example packets {first[packet.slug]} and {packet.file} would "
                f"both be published as packets/{packet.slug}/; rename one of them",
            )
        first.setdefault(packet.slug, packet.file)


# Links in YAML text must be absolute: a relative target ("other.md", "#part", "../x") or a
# reference or footnote definition ("[^1]: note") points at a page of the generated site that
# does not exist, and the build's link check fails on every page that shows the text.
_INLINE_LINK = re.compile(r"\]\(\s*<?([^\s)>]*)")
_DEFINITION = re.compile(r"^ {0,3}\[([^\]\n]+)\]:[ \t]*<?(\S*)", re.MULTILINE)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_NOT_MARKDOWN = frozenset({"link", "id", "$schema"})  # addresses and ids: checked by the schemas


def text_links(file: str, data: Any) -> Iterator[Diagnostic]:
    """Relative links and footnote or reference definitions in any text of one document."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:  # iterative: this runs over every file at every validation
        pointer, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((pointer + (k,), v) for k, v in node.items() if k not in _NOT_MARKDOWN)
        elif isinstance(node, list):
            stack.extend((pointer + (i,), v) for i, v in enumerate(node))
        elif isinstance(node, str) and ("](" in node or "]:" in node):
            yield from _links_in(file, node, pointer)


def may_hold_links(raw: bytes) -> bool:
    """Whether any text in a file's source could hold a link `text_links` reports. Text reaches a
    value as written, apart from line folding (which puts a space or a newline between two lines)
    and escapes (which need a backslash): without "](", "]:" and a backslash, no value holds one."""
    return b"](" in raw or b"]:" in raw or b"\\" in raw


def _links_in(file: str, data: str, pointer: tuple[Any, ...]) -> Iterator[Diagnostic]:
    for match in _DEFINITION.finditer(data):
        label = match.group(1)
        if label.startswith("^"):
            yield error(
                file,
                "footnote",
                f"footnote definition '[{label}]:' is not supported in handbook text "
                "(it would become a link to a page that does not exist); write the note in the "
                "sentence itself",
                pointer,
            )
        elif not _ABSOLUTE.match(match.group(2)):
            yield error(
                file,
                "relative-link",
                f"link definition '[{label}]: {match.group(2)}' is relative; links "
                "in handbook text must be full addresses such as https://example.com/page",
                pointer,
            )
    for match in _INLINE_LINK.finditer(data):
        if not _ABSOLUTE.match(match.group(1)):
            yield error(
                file,
                "relative-link",
                f"link '({match.group(1)})' is relative; links in handbook text "
                "must be full addresses such as https://example.com/page (a relative one points at a "
                "generated page that does not exist)",
                pointer,
            )


# Text `handbook new packet` writes for the candidate to replace, and the usual stand-ins for "later".
SCAFFOLD_TEXTS = frozenset(
    {
        "one paragraph: the case in your own words, and the period it covers.",
        "what you did",
        "what changed because of it, with figures where you have them.",
        "short-unique-id",
    }
)
_STAND_IN = re.compile(
    r"(todo|tbd|tba|fixme|x{2,}|\.{3}|…|-+|\?+|lorem ipsum\b.*|fill (this )?in\b.*|<[^<>]*>|"
    r"\[[^\[\]]*\]|(todo|tbd|fixme)\s*[:\-].*)",
    re.IGNORECASE | re.DOTALL,
)
UNDER_REVIEW = "submitted"  # errors here; a warning in a draft; decided and withdrawn packets are history


def is_placeholder(text: str | None) -> bool:
    words = " ".join((text or "").split())
    return words.lower() in SCAFFOLD_TEXTS or bool(_STAND_IN.fullmatch(words))


def packet_content(packet: Packet) -> Iterator[Diagnostic]:
    """Placeholders and empty content: errors in a packet under review (decision status submitted),
    warnings in a draft, so a candidate can commit work in progress; decided and withdrawn packets
    are a record of what was decided and are left as they are."""
    if packet.decision.status not in (UNDER_REVIEW, "draft"):
        return
    report = error if packet.decision.status == UNDER_REVIEW else warning
    why = (
        ""
        if report is warning
        else f" (the packet is '{packet.decision.status}'; set decision.status to draft while it is work in progress)"
    )
    if is_placeholder(packet.summary):
        yield report(
            packet.file,
            "placeholder",
            f"the summary is still placeholder text: write the case in your own words{why}",
            ("summary",),
        )
    if not packet.evidence:
        yield report(
            packet.file,
            "no-evidence",
            f"the packet has no evidence yet: add at least one piece, citing the criteria it demonstrates{why}",
            ("evidence",),
        )
    for evidence in packet.evidence:
        where = ("evidence", evidence.index)
        for field in ("title", "impact"):
            if is_placeholder(getattr(evidence, field)):
                yield report(
                    packet.file,
                    "placeholder",
                    f"{evidence_name(evidence)}: the {field} is still placeholder text{why}",
                    where + (field,),
                )
        if not evidence.criteria:
            yield report(
                packet.file,
                "evidence-cites-nothing",
                f"{evidence_name(evidence)} cites no criterion: list "
                f"the ids of the criteria it demonstrates under 'criteria'{why}",
                where + ("criteria",),
            )


def _packet_levels(hb: Handbook, packet: Packet) -> Iterator[Diagnostic]:
    settings = hb.settings
    if settings:
        if packet.track not in settings.track_ids:
            yield error(
                packet.file,
                "unknown-track",
                f"unknown track '{packet.track}'{did_you_mean(packet.track, settings.track_ids)}",
                ("track",),
            )
        if settings.review_cycles and packet.cycle not in settings.cycle_ids:
            yield error(
                packet.file,
                "unknown-cycle",
                f"unknown review cycle '{packet.cycle}'{did_you_mean(packet.cycle, settings.cycle_ids)}",
                ("cycle",),
            )
        yield from _packet_version(packet, settings.criteria_version)
    track = hb.track(packet.track)
    levels = {}
    for field in ("current_level", "target_level"):
        level_id = getattr(packet, field)
        levels[field] = hb.level(level_id)
        if levels[field] is None:
            if not hb.is_declared("level", level_id):
                yield error(
                    packet.file,
                    "unknown-level",
                    f"{field} names unknown level '{level_id}'{_level_choices(hb, level_id, track)}",
                    (field,),
                )
        elif track is not None and level_id not in track.levels:
            if field == "current_level" and (problem := _track_change_problem(hb, packet)) is None:
                continue  # an allowed move to another track, at the same or a higher rank
            on = ", ".join(t.id for t in hb.tracks_of(level_id)) or "no track"
            hint = f"; {problem}" if field == "current_level" and problem else ""
            yield error(
                packet.file,
                "wrong-track",
                f"{field} {_level_words(hb, level_id)} is not on the packet's "
                f"track '{packet.track}' ({_ladder(hb, track)}); it is on {on}{hint}",
                (field,),
            )
    current, target = levels["current_level"], levels["target_level"]
    if current and target and track is not None and _not_above(track, current.id, target.id):
        yield error(
            packet.file,
            "target-not-above",
            f"target level {_level_words(hb, target.id)} is not above "
            f"the current level {_level_words(hb, current.id)}: a packet asks for a higher level on the "
            f"same track ({_ladder(hb, track)})",
            ("target_level",),
        )


def rank(track: Any, level_id: str) -> int:
    return track.levels.index(level_id) if level_id in track.levels else -1


def _track_change_problem(hb: Handbook, packet: Packet) -> str | None:
    """None when moving from the current level's track to the packet's track is allowed at this rank;
    else what the settings would need (a packet's `track` is the track it moves to)."""
    target = hb.track(packet.track)
    if hb.settings is None or target is None:
        return "unknown track"
    sources = hb.tracks_of(packet.current_level)
    allowed = [t for t in sources if hb.settings.allows_move(t.id, target.id)]
    if not allowed:
        moves = ", ".join(f"{a} → {b}" for a, b in hb.settings.track_changes) or "none declared"
        return (
            f"a track change from {', '.join(t.id for t in sources) or 'no track'} to '{target.id}' is not "
            f"among the allowed moves in track_changes ({moves})"
        )
    if not any(rank(target, packet.target_level) >= rank(t, packet.current_level) for t in allowed):
        return "a track change goes to the same or a higher rank, never lower"
    return None


def _not_above(track: Any, current: str, target: str) -> bool:
    return (
        current in track.levels and target in track.levels and track.levels.index(target) <= track.levels.index(current)
    )


def _ladder(hb: Handbook, track: Any) -> str:
    if track is None:
        return "unknown track"
    return " → ".join(lvl.title if (lvl := hb.level(i)) else i for i in track.levels)


def _level_choices(hb: Handbook, level_id: str, track: Any) -> str:
    on_track = [i for i in track.levels if hb.level(i)] if track is not None else []
    on_track = on_track or [lvl.id for lvl in hb.levels]
    hint = did_you_mean(level_id, [lvl.id for lvl in hb.levels], 0)
    titles = {lvl.title.lower(): lvl for lvl in hb.levels}
    if not hint and (close := difflib.get_close_matches(level_id.lower().replace("-", " "), titles, n=1, cutoff=0.4)):
        hint = f" (did you mean '{titles[close[0]].id}', {titles[close[0]].title}?)"
    listed = ", ".join(f"{i} ({lvl.title})" if (lvl := hb.level(i)) else i for i in on_track)
    return f"{hint}; levels use ids: {listed}" if len(on_track) <= 8 else hint


def _packet_version(packet: Packet, handbook_version: str) -> Iterator[Diagnostic]:
    pinned, current = parse_version(packet.criteria_version), parse_version(handbook_version)
    if pinned > current:
        yield error(
            packet.file,
            "version-ahead",
            f"criteria_version {packet.criteria_version} is newer than the handbook's {handbook_version}",
            ("criteria_version",),
        )
    elif pinned < current:
        yield warning(
            packet.file,
            "version-behind",
            f"packet was written against criteria {packet.criteria_version}; the handbook is at {handbook_version}",
            ("criteria_version",),
        )


def _packet_evidence(hb: Handbook, packet: Packet) -> Iterator[Diagnostic]:
    target, current = hb.level(packet.target_level), hb.level(packet.current_level)
    track = hb.track(packet.track)
    if track is None or (target and current and _not_above(track, current.id, target.id)):
        target = None  # the track or target itself is the mistake (reported once): no cascade over every citation
    for evidence in packet.evidence:
        for index, criterion_id in enumerate(evidence.criteria):
            pointer = ("evidence", evidence.index, "criteria", index)
            criterion = hb.criterion(criterion_id)
            if criterion is None:
                if not hb.is_declared("criterion", criterion_id):
                    yield error(
                        packet.file,
                        "unknown-criterion",
                        f"{evidence_name(evidence)} cites unknown "
                        f"criterion '{criterion_id}'"
                        f"{did_you_mean(criterion_id, (c.id for d in hb.dimensions for c in d.criteria), 0)}",
                        pointer,
                    )
                continue
            if criterion.milestone is not None:
                continue  # milestones are judged by points: any of them may be cited
            if target and (higher := _raised_at(hb, criterion, target.id)) is not None:
                yield warning(
                    packet.file,
                    "criterion-raised",
                    f"{evidence_name(evidence)} cites '{criterion_id}', which "
                    f"'{higher.id}' raises by {target.title}: it no longer counts there, so cite "
                    f"'{higher.id}' if the evidence shows it",
                    pointer,
                )
                continue
            if (
                target
                and criterion.level != target.id
                and not hb.is_below(criterion.level, target.id, packet.track)
                and not _in_track_change(hb, packet, criterion)
            ):
                level = hb.level(criterion.level)
                title = level.title if level else criterion.level
                if hb.is_below(target.id, criterion.level, packet.track):
                    why = f"(cite criteria of {target.title} or a level below it)"
                else:
                    why = f"on track '{packet.track}' ({_ladder(hb, hb.track(packet.track))}), not on {title}'s track"
                yield error(
                    packet.file,
                    "criterion-wrong-level",
                    f"{evidence_name(evidence)} cites "
                    f"'{criterion_id}', {indefinite(title)} {title} criterion; this packet targets {target.title} {why}",
                    pointer,
                )


def _raised_at(hb: Handbook, criterion: Any, target: str) -> Any:
    """The criterion up to `target` that raises this one (so it is no longer expected there), if any."""
    if criterion.level != target and not hb.is_below(criterion.level, target):
        return None
    if any(c.id == criterion.id for c in hb.expected_criteria(target, criterion.dimension)):
        return None
    return next(
        (c for c in hb.expected_criteria(target, criterion.dimension) if c.raises == criterion.id), None
    ) or next(
        (
            c
            for lvl in (*hb.levels_below(target), target)
            for c in hb.criteria_for_level(lvl)
            if c.raises == criterion.id
        ),
        None,
    )


def _in_track_change(hb: Handbook, packet: Packet, criterion: Any) -> bool:
    """A track change may cite what the current level already expects."""
    return any(c.id == criterion.id for c in hb.expected_criteria(packet.current_level, criterion.dimension))


def _packet_links(hb: Handbook, packet: Packet) -> Iterator[Diagnostic]:
    allowed = hb.settings.allowed_link_schemes if hb.settings else ("https",)
    linkless = hb.settings.review_process.evidence_without_link if hb.settings else ()
    for evidence in packet.evidence:
        if evidence.link is None:
            if evidence.kind not in linkless:
                yield error(
                    packet.file,
                    "evidence-no-link",
                    f"{evidence_name(evidence)} has no link: "
                    f"{indefinite(evidence.kind)} {evidence.kind} needs one (kinds that may go without: {', '.join(linkless) or 'none'}, "
                    "set in review_process.evidence_without_link)",
                    ("evidence", evidence.index),
                    on_key=False,
                )
            continue
        scheme = evidence.link.split(":", 1)[0].lower()
        if scheme not in allowed:
            yield error(
                packet.file,
                "link-scheme",
                f"{evidence_name(evidence)} links with '{scheme}:'; allowed "
                f"schemes are {', '.join(allowed)} (publish.allowed_link_schemes in site settings)",
                ("evidence", evidence.index, "link"),
            )


def _packet_context(hb: Handbook, packet: Packet) -> Iterator[Diagnostic]:
    if packet.team_context:
        for index, snapshot in enumerate(packet.team_context.metrics):
            yield from _metric_reference(
                hb, snapshot.metric, packet.file, ("team_context", "metrics", index, "metric"), "team context"
            )
    for index, assessment in enumerate(packet.assessments):
        for dimension_id, _ in assessment.ratings:
            yield from _dimension_reference(
                hb, dimension_id, packet.file, ("assessments", index, "ratings", dimension_id)
            )


def packet_dates(hb: Handbook, today: date) -> Iterator[Diagnostic]:
    """Evidence and decisions that could not have happened yet, and decisions taken on too few reviews."""
    iso = today.isoformat()
    required = (hb.settings.review_process.reviewers_per_packet if hb.settings else None) or 0
    for packet in hb.packets:
        for evidence in packet.evidence:
            if evidence.date > iso:
                yield error(
                    packet.file,
                    "evidence-in-future",
                    f"{evidence_name(evidence)} is dated {evidence.date}, "
                    f"after today ({iso}); date it when the work happened",
                    ("evidence", evidence.index, "date"),
                )
        decision = packet.decision
        if decision.date and decision.date > iso:
            yield error(
                packet.file,
                "decision-in-future",
                f"decision dated {decision.date}, after today ({iso})",
                ("decision", "date"),
            )
        if decision.status in ("promoted", "not-yet"):
            if not decision.date:
                yield warning(
                    packet.file, "decision-undated", f"decision '{decision.status}' has no date", ("decision",)
                )
            if (reviews := len(packet.assessments) + len(packet.reviews)) < required:
                yield warning(
                    packet.file,
                    "too-few-reviews",
                    f"decided on {reviews} review(s); the process asks for {required}",
                    ("decision", "status"),
                )


def empty_handbook(hb: Handbook) -> Iterator[Diagnostic]:
    if hb.settings and not hb.levels and not any(kind == "level" for kind, _ in hb.declared_ids):
        yield error("levels", "no-levels", "the handbook defines no level: add levels/<id>.yaml files")
    if hb.settings and not hb.dimensions and not any(kind == "dimension" for kind, _ in hb.declared_ids):
        yield error(
            "rubrics/dimensions",
            "no-dimensions",
            "the handbook defines no dimension: add rubrics/dimensions/<id>.yaml files",
        )


def review_dates(hb: Handbook, today: date) -> Iterator[Diagnostic]:
    if hb.settings is None:
        return
    for row in governance_report(checked(hb), today).rows:
        if row.last_reviewed and row.last_reviewed > today.isoformat():
            yield error(
                row.file,
                "review-in-future",
                f"last_reviewed {row.last_reviewed} is in the future",
                ("governance", "last_reviewed"),
            )
        elif row.status == "overdue":
            yield warning(
                row.file,
                "review-overdue",
                f"'{row.id}' was due for its {row.cadence} review on "
                f"{row.next_due} ({_days(-row.days_left)} ago): review it or retire it",
                ("governance", "last_reviewed"),
            )


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def _any_day(rule: Callable[[Handbook], Iterable[Diagnostic]]) -> Rule:
    """A rule that does not depend on the day, with the one signature every rule has."""

    def dated(hb: Handbook, today: date) -> Iterable[Diagnostic]:
        return rule(hb)

    dated.__name__ = dated.__qualname__ = rule.__name__
    return dated


RULES: tuple[Rule, ...] = (
    *map(
        _any_day,
        (
            harm_reviews,
            unique_ids,
            ids_match_file_names,
            levels_and_tracks,
            dimension_references,
            metric_principles,
            composite_rules,
            packet_rules,
            example_page_names,
            promotion_rules,
        ),
    ),
    review_dates,
    packet_dates,
    _any_day(empty_handbook),
    _any_day(review_rules),
    review_date_rules,
)
