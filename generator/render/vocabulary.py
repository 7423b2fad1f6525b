"""The words a reader sees for each status: one set per concept, the same on every page, in every
report and at the command line. Files and JSON output keep the codes; people read these words.

- lifecycle: whether a metric may be cited (active, trial, retired);
- review: whether a metric or dimension had its scheduled review (up to date, due soon, overdue);
- decision: where a packet stands (in review until decided: promoted, not yet, withdrawn);
- composite: what happened to a packet's advisory score (shown, capped, withheld).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..compute.scoring import CompositeScore

WORDS: dict[str, dict[str, str]] = {
    "lifecycle": {"active": "active", "trial": "trial", "retired": "retired"},
    "review": {
        "current": "up to date",
        "due-soon": "due soon",
        "overdue": "overdue",
        "retired": "retired",
        "not-reviewed": "not yet reviewed",
    },
    "decision": {
        "draft": "draft",
        "submitted": "in review",
        "promoted": "promoted",
        "not-yet": "not yet",
        "withdrawn": "withdrawn",
    },
    "appeal": {"pending": "in review", "upheld": "upheld", "overturned": "overturned"},
    "composite": {"shown": "shown", "capped": "capped", "withheld": "withheld"},
}
DECIDED = frozenset({"promoted", "not-yet", "withdrawn"})


def say(code: object, concept: str) -> str:
    """The reader's word for a status code of one concept (an unknown code reads as written)."""
    return WORDS[concept].get(str(code), str(code).replace("-", " "))


def composite_outcome(score: CompositeScore) -> str:
    """Which one applies to an advisory score: withheld (not shown at all), capped (shown, lowered
    by a gate) or shown."""
    if not score.shown:
        return "withheld"
    lowered = any(score.weighted is not None and gate.cap < score.weighted for gate in score.applied_gates)
    return "capped" if lowered else "shown"
