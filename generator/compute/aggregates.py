"""The privacy model for process-health figures, and the aggregates file that crosses back.

Only aggregates leave a packets repository, and none of them lets anyone derive one person's
outcome. The rules, each against a known attack:

- A cycle is published once, when it has closed: `stats --export` keeps the figures of cycles
  already in the file as they were, so a late packet or a merged decision never shows as a
  difference between two publications.
- A cycle of fewer than k packets (publish.minimum_group_size, default 5) publishes nothing, and
  a suppressed cycle counts in no other figure: there are no figures across cycles.
- Counts that partition a group (outcomes, timing bins, coverage, appeals) hide every cell under
  k, zero included, and then more cells until the hidden cells hold at least k packets between
  them and number at least two, so no hidden cell can be recovered from the group's total
  ("5 of 5 promoted" is not published).
- No mean, spread or histogram over fewer than k; the typical time to decision is the mean of the
  middle k values, never one person's value as a median over k can be.
- Counts may be rounded (publish.round_counts_to).

Pure functions over the model; reading and writing the file is at the end of the module.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..model.diagnostics import Diagnostic, error

PUBLISHED_FILE = "site_config/process-health.json"
FORMAT = 1


@dataclass(frozen=True)
class Cell:
    label: str
    value: float | None  # None: suppressed


@dataclass(frozen=True)
class Figure:
    """One published figure of one cycle. kind "counts": cells partition the group (protected
    together); kind "value": one number (cells hold it under the figure's title)."""

    id: str
    title: str
    kind: str  # counts | value
    unit: str
    cells: tuple[Cell, ...]
    note: str = ""

    @property
    def shown(self) -> bool:
        return any(c.value is not None for c in self.cells)

    @property
    def max_value(self) -> float:
        return max((c.value for c in self.cells if c.value is not None), default=0)


@dataclass(frozen=True)
class CycleAggregates:
    cycle: str
    name: str
    closes: str
    status: str  # open | suppressed | published
    packets: int | None = None
    figures: tuple[Figure, ...] = ()
    # Which packets the group holds, as keyed hashes (see member_keys): every member for a group
    # computed now, the published sample for a group read from the file. "Published once" is
    # decided by them, not by the cycle's id, which settings can rename.
    members: tuple[str, ...] = ()

    @property
    def suppressed(self) -> bool:
        return self.status != "published"

    def figure(self, figure_id: str) -> Figure | None:
        return next((f for f in self.figures if f.id == figure_id), None)


@dataclass(frozen=True)
class Aggregates:
    minimum_group: int
    round_counts_to: int
    cycles: tuple[CycleAggregates, ...]


# --- protection primitives -------------------------------------------------------------------


def protect_counts(counts: Sequence[int], k: int) -> list[int | None]:
    """Primary suppression (every cell under k, zero included) and complementary suppression:
    the hidden cells, whose sum anyone can get from the group's total, hold at least k between
    them and are at least two, so none of them can be recovered."""
    hidden = {i for i, count in enumerate(counts) if count < k}
    while hidden and (sum(counts[i] for i in hidden) < k or len(hidden) < 2) and len(hidden) < len(counts):
        visible = [i for i in range(len(counts)) if i not in hidden]
        hidden.add(min(visible, key=lambda i: (counts[i], i)))
    return [None if i in hidden else count for i, count in enumerate(counts)]


def round_count(value: int | None, step: int) -> int | None:
    if value is None or step <= 1:
        return value
    return int((value + step / 2) // step * step)


def middle_mean(values: Iterable[float], k: int) -> float | None:
    """The mean of the middle k values: a typical value no single person determines (None under k)."""
    ordered = sorted(values)
    if len(ordered) < k:
        return None
    start = (len(ordered) - k) // 2
    return sum(ordered[start : start + k]) / k


def counts_figure(
    figure_id: str, title: str, unit: str, labelled: Sequence[tuple[str, int]], k: int, step: int, note: str = ""
) -> Figure:
    protected = protect_counts([count for _, count in labelled], k)
    return Figure(
        figure_id,
        title,
        "counts",
        unit,
        tuple(Cell(label, round_count(v, step)) for (label, _), v in zip(labelled, protected, strict=True)),
        note,
    )


def value_figure(figure_id: str, title: str, unit: str, value: float | None, digits: int, note: str = "") -> Figure:
    return Figure(
        figure_id, title, "value", unit, (Cell(title, None if value is None else round(value, digits)),), note
    )


# --- the schema-validated file ----------------------------------------------------------------


def to_document(aggregates: Aggregates, generated: date) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "generated": generated.isoformat(),
        "minimum_group_size": aggregates.minimum_group,
        "round_counts_to": aggregates.round_counts_to,
        "cycles": [_cycle_document(c, aggregates.minimum_group) for c in aggregates.cycles if c.status == "published"],
    }


def _cycle_document(cycle: CycleAggregates, k: int) -> dict[str, Any]:
    members = {"members": list(published_sample(cycle.members, k))} if cycle.members else {}
    return {
        "id": cycle.cycle,
        "name": cycle.name,
        "closes": cycle.closes,
        "packets": cycle.packets,
        **members,
        "figures": [
            {
                "id": f.id,
                "title": f.title,
                "kind": f.kind,
                "unit": f.unit,
                "note": f.note,
                "cells": [{"label": c.label, "value": c.value} for c in f.cells],
            }
            for f in cycle.figures
        ],
    }


def member_keys(identities: Iterable[str], key: bytes) -> tuple[str, ...]:
    """Each packet's identity as a keyed hash (HMAC-SHA256, 64 bits shown), sorted. The key is a
    secret of the packets repository (its first commit), so nobody holding the published file can
    test a name against it; without a key there are no members (the id then decides)."""
    if not key:
        return ()
    return tuple(
        sorted({hmac.new(key, identity.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for identity in identities})
    )


def published_sample(members: tuple[str, ...], k: int) -> tuple[str, ...]:
    """The k smallest member hashes: enough to recognise the group again (a rename keeps them, a
    late packet displaces at most one), and as many for every group, so they tell no group size."""
    return tuple(sorted(members)[:k])


def same_group(published: CycleAggregates, fresh: CycleAggregates) -> bool:
    """Is FRESH the group published before (renamed, or with late packets)? At least half of the
    published sample is among its members."""
    sample = set(published.members)
    return bool(sample) and 2 * len(sample & set(fresh.members)) >= len(sample)


def from_document(data: dict[str, Any]) -> Aggregates:
    cycles = tuple(
        CycleAggregates(
            c["id"],
            c["name"],
            c["closes"],
            "published",
            c["packets"],
            tuple(
                Figure(
                    f["id"],
                    f["title"],
                    f["kind"],
                    f["unit"],
                    tuple(Cell(cell["label"], cell["value"]) for cell in f["cells"]),
                    f.get("note", ""),
                )
                for f in c["figures"]
            ),
            tuple(c.get("members", ())),
        )
        for c in data["cycles"]
    )
    return Aggregates(data["minimum_group_size"], data["round_counts_to"], cycles)


def merged(existing: Aggregates | None, fresh: Aggregates) -> tuple[Aggregates, tuple[str, ...]]:
    """Published once: groups already in the file keep their figures; newly closed ones join. A
    group is recognised by its packets (same_group), else by its cycle id, so renaming a cycle
    never publishes its group a second time with different figures. Returns the merged aggregates
    and the ids of the cycles added now."""
    kept = list(existing.cycles if existing else ())
    used: set[int] = set()
    cycles: list[CycleAggregates] = []
    added: list[str] = []
    for cycle in fresh.cycles:
        match = next((i for i, old in enumerate(kept) if i not in used and same_group(old, cycle)), None)
        if match is None:
            match = next((i for i, old in enumerate(kept) if i not in used and old.cycle == cycle.cycle), None)
        if match is not None:
            used.add(match)
            cycles.append(kept[match])
        elif cycle.status == "published":
            cycles.append(cycle)
            added.append(cycle.cycle)
    cycles += [old for i, old in enumerate(kept) if i not in used]
    return Aggregates(fresh.minimum_group, fresh.round_counts_to, tuple(cycles)), tuple(added)


def load_document(path: Path, display: str) -> tuple[Aggregates | None, list[Diagnostic]]:
    """Read and schema-check an aggregates file; problems name file:line:col."""
    from ..check.schema_check import check
    from ..load.loader import load_file

    loaded = load_file(path, display)
    problems = list(loaded.diagnostics)
    if loaded.document is None or problems:
        return None, problems or [error(display, "unreadable", "cannot read the aggregates file")]
    problems = check(loaded.document, "aggregates")
    if problems:
        return None, problems
    return from_document(loaded.document.data), []


def check_published(root: Path) -> list[Diagnostic]:
    path = root / PUBLISHED_FILE
    if not path.exists():
        return []
    return load_document(path, PUBLISHED_FILE)[1]


def read_published(root: Path) -> Aggregates | None:
    """The committed aggregates the public site shows; None when there are none (or they are broken,
    which `validate` reports)."""
    path = root / PUBLISHED_FILE
    return load_document(path, PUBLISHED_FILE)[0] if path.is_file() else None


def write_export(path: Path, fresh: Aggregates, today: date) -> tuple[str, ...]:
    """Write the aggregates file, keeping cycles published before as they were; returns cycles added."""
    existing = None
    if path.exists() or path.is_symlink():  # a FIFO, a device or a folder there is refused, not replaced
        existing, problems = load_document(path, str(path))
        if problems:
            first = problems[0]
            raise ValueError(f"{first.file}:{first.line}:{first.column}: {first.message}")
    result, added = merged(existing, fresh)
    document = to_document(result, today)
    from ..check.schema_check import validator_for

    refused = next(iter(validator_for("aggregates").iter_errors(document)), None)
    if refused is not None:  # never write a file the handbook would refuse; say why in one line
        where = "/".join(str(part) for part in refused.absolute_path) or "the file"
        raise ValueError(
            f"the aggregates would not pass the handbook's schema at {where}: {refused.message[:200]}; "
            "nothing was written"
        )
    from ..load.safe_files import write_exclusive

    write_exclusive(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")  # never through a planted link
    return added
