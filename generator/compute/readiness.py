"""The readiness report for one packet: what the candidate and every reviewer see. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from ..model.diagnostics import Diagnostic
from ..model.handbook import Dimension, Handbook, Packet
from ..model.pinned import criteria_of
from .coverage import Coverage, packet_coverage
from .promotion import Judgement, judge
from .scoring import CompositeScore, packet_ratings, packet_score
from .semantic_diff import Change, diff_handbooks
from .team_signals import SignalView

ADVISORY_NOTE = "This verdict is advisory: reviewers and the committee decide, not this report."


@dataclass(frozen=True)
class DimensionReadiness:
    dimension: Dimension
    covered: tuple[tuple[str, str, tuple[str, ...]], ...]  # (criterion id, text, evidence ids)
    missing: tuple[tuple[str, str], ...]  # (criterion id, text)
    ratings: tuple[int, ...]
    spread: int | None


@dataclass(frozen=True)
class ReadinessReport:
    packet: Packet
    target_title: str
    current_title: str
    coverage: Coverage
    score: CompositeScore | None  # None when the organisation has no composite
    dimensions: tuple[DimensionReadiness, ...]
    verdict: str
    behind_by: str | None  # the handbook's criteria version when the packet pins an older one
    reviews_in: int = 0  # counted in-file assessments and review files, sealed or not
    reviews_expected: int = 0
    sealed_reviews: int = 0  # review files still sealed: counted, never read
    judged_against: str | None = None  # the version whose criteria this report uses
    changes_since: tuple[Change, ...] = ()  # what changed for the target level since the pinned version
    problems: tuple[Diagnostic, ...] = ()  # the packet's validation problems, errors first; shown before the rest
    judgement: Judgement | None = None  # the declared promotion rule applied to the evidence
    # Evidence team signals (compute.team_signals.SignalView), attached after everything above is
    # computed and read by nothing that judges: team context, never this person's score.
    team_signals: tuple[SignalView, ...] = ()

    @property
    def blocked(self) -> bool:
        """True when the packet has errors: the figures below them use only its well-formed parts."""
        return any(d.severity == "error" for d in self.problems)


def readiness(current_hb: Handbook, packet: Packet, problems: tuple[Diagnostic, ...] = ()) -> ReadinessReport:
    """Judged against the criteria the packet pins (when history has them), never moved goalposts."""
    hb = criteria_of(current_hb, packet)
    coverage = packet_coverage(hb, packet)
    score = packet_score(hb, packet, coverage.ratio)
    ratings = packet_ratings(packet)
    dims = []
    for dim in hb.ordered_dimensions:
        rows = coverage.rows_for(dim.id)
        given = tuple(ratings.get(dim.id, ()))
        dims.append(
            DimensionReadiness(
                dim,
                tuple((r.criterion.id, r.criterion.text, r.evidence_ids) for r in rows if r.covered),
                tuple((r.criterion.id, r.criterion.text) for r in rows if not r.covered),
                given,
                max(given) - min(given) if given else None,
            )
        )
    target, current = hb.level(packet.target_level), hb.level(packet.current_level)
    judgement = judge(hb, packet)
    version = current_hb.settings.criteria_version if current_hb.settings else packet.criteria_version
    behind = version if version != packet.criteria_version else None
    since = diff_handbooks(hb, current_hb).for_level(packet.target_level) if behind and hb is not current_hb else ()
    return ReadinessReport(
        packet,
        target.title if target else packet.target_level,
        current.title if current else packet.current_level,
        coverage,
        score,
        tuple(dims),
        verdict(coverage, score, judgement),
        behind,
        packet.reviews_in,
        (current_hb.settings.review_process.reviewers_per_packet if current_hb.settings else None) or 0,
        packet.sealed_reviews,
        hb.settings.criteria_version if hb.settings else None,
        since,
        tuple(sorted(problems, key=lambda d: (d.severity != "error", d.line, d.column))),
        judgement,
    )


def verdict(coverage: Coverage, score: CompositeScore | None, judgement: Judgement | None = None) -> str:
    missing = coverage.total - coverage.covered
    sentences = []
    if judgement is not None and judgement.rule.rule != "all":
        sentences.append(judgement.summary)
    elif score is not None and coverage.ratio < score.minimum_coverage:
        sentences.append(
            f"Not enough evidence yet: {coverage.covered} of {coverage.total} target-level criteria "
            f"are covered (a composite is shown from {score.minimum_coverage:.0%})."
        )
    elif missing:
        sentences.append(
            f"Evidence covers {coverage.covered} of {coverage.total} target-level criteria; "
            f"{missing} still {'lacks' if missing == 1 else 'lack'} evidence."
        )
    else:
        sentences.append("Evidence covers every target-level criterion.")
    if judgement is not None and judgement.track_change:
        sentences.append(
            "This is a track change: it is judged on what is new or raised compared with the current level."
        )
    if score is None:
        return " ".join([*sentences, ADVISORY_NOTE])
    for gate in score.applied_gates:
        sentences.append(f"A gate applies on {gate.dimension}: the composite is capped at {gate.cap:g}.")
    if score.shown:
        sentences.append(f"Advisory composite {score.final:g}.")
    elif coverage.ratio >= score.minimum_coverage or (judgement is not None and judgement.rule.rule != "all"):
        sentences.append(f"Composite withheld: {score.withheld_reason}.")
    return " ".join([*sentences, ADVISORY_NOTE])
