"""The handbook model: typed, immutable, built only from documents that passed their schema."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, Literal

# Statuses and kinds, as the schemas enumerate them (tests keep the two equal).
MetricStatus = Literal["active", "trial", "retired"]
Cadence = Literal["monthly", "quarterly", "semiannual", "annual"]
DecisionStatus = Literal["draft", "submitted", "promoted", "not-yet", "withdrawn"]
AppealStatus = Literal["pending", "upheld", "overturned"]
Visibility = Literal["example", "private"]


@dataclass(frozen=True, kw_only=True)
class Owner:
    group: str
    contact: str


@dataclass(frozen=True, kw_only=True)
class Governance:
    last_reviewed: str | None  # None: a dimension not yet reviewed (metrics always carry a date)
    review_cadence: Cadence | None = None
    status: MetricStatus = "active"


@dataclass(frozen=True, kw_only=True)
class Criterion:
    id: str
    text: str
    examples: tuple[str, ...]
    dimension: str
    level: str
    file: str
    index: int
    raises: str | None = None
    external_id: str | None = None
    milestone: int | None = None  # 1-based, for a milestone's criterion (points rule); level is "" then
    attributes: tuple[tuple[str, str], ...] = ()  # (attribute id, value), as the settings declare them

    @property
    def pointer(self) -> tuple[Any, ...]:
        if self.milestone is not None:
            return ("milestones", self.milestone - 1, "criteria", self.index)
        return ("expectations", self.level, self.index)

    def attribute(self, attribute_id: str) -> str | None:
        return dict(self.attributes).get(attribute_id)


@dataclass(frozen=True, kw_only=True)
class Milestone:
    """One step of a dimension under a points rule: worth `points` when the evidence supports it."""

    number: int  # 1-based, lowest first
    name: str
    points: int | None  # None: the settings' promotion.milestone_points gives it
    criteria: tuple[Criterion, ...]
    summary: str | None = None


@dataclass(frozen=True, kw_only=True)
class RatingAnchor:
    score: int
    label: str
    meaning: str


@dataclass(frozen=True, kw_only=True)
class Dimension:
    id: str
    name: str
    order: int
    group: str | None
    owner: Owner
    summary: str
    signals: tuple[str, ...]
    rating_anchors: tuple[RatingAnchor, ...]
    criteria: tuple[Criterion, ...]
    anti_gaming: tuple[str, ...]
    governance: Governance
    file: str
    milestones: tuple[Milestone, ...] = ()
    starts_at: str | None = None  # the lowest level judged on this dimension

    @property
    def milestone_criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for m in self.milestones for c in m.criteria)

    def criteria_for(self, level_id: str) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.level == level_id)

    @property
    def level_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.level for c in self.criteria))


@dataclass(frozen=True, kw_only=True)
class Calculation:
    formula: str
    aggregation: str
    window: str
    data_sources: tuple[str, ...]
    exclusions: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Guardrail:
    risk: str
    guardrail: str


@dataclass(frozen=True, kw_only=True)
class BenchmarkBand:
    label: str
    range: str


@dataclass(frozen=True, kw_only=True)
class Harm:
    kind: str
    description: str


@dataclass(frozen=True, kw_only=True)
class HarmReview:
    date: str
    participants: tuple[str, ...]
    outcome: str
    harms_found: tuple[Harm, ...]
    actions: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Metric:
    id: str
    name: str
    group: str | None
    subject: str
    dora: bool
    unit: str | None
    purpose: str
    calculation: Calculation
    limitations: tuple[str, ...]
    anti_gaming: tuple[Guardrail, ...]
    owner: Owner
    governance: Governance
    benchmark_source: str | None
    benchmark_bands: tuple[BenchmarkBand, ...]
    file: str
    harm_reviews: tuple[HarmReview, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Component:
    dimension: str
    weight: float


@dataclass(frozen=True, kw_only=True)
class Gate:
    dimension: str
    below: float
    cap: float
    reason: str


@dataclass(frozen=True, kw_only=True)
class Composite:
    advisory: bool
    scale_min: float
    scale_max: float
    components: tuple[Component, ...]
    gates: tuple[Gate, ...]
    minimum_coverage: float
    explanation: str
    file: str


@dataclass(frozen=True, kw_only=True)
class TimeInLevel:
    min_months: int
    max_months: int | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Readiness:
    convincing: tuple[str, ...] = ()
    disqualifying: tuple[str, ...] = ()
    sustained_growth: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Level:
    """What a level is. Its place on the ladders is in the settings' tracks, not here."""

    id: str
    title: str
    summary: str | None
    file: str
    scope: str | None = None
    complexity: str | None = None
    consistency: str | None = None
    time_in_level: TimeInLevel | None = None
    readiness: Readiness | None = None

    @property
    def facets(self) -> tuple[tuple[str, str], ...]:
        """The optional descriptive fields this level has, as (label, text)."""
        named = (("Scope", self.scope), ("Complexity", self.complexity), ("Consistency", self.consistency))
        return tuple((label, value) for label, value in named if value)


@dataclass(frozen=True, kw_only=True)
class Evidence:
    id: str
    title: str
    kind: str
    link: str | None
    date: str
    role: str
    criteria: tuple[str, ...]
    impact: str
    invisible_work: bool
    index: int
    team_signal: TeamSignal | None = None  # a pointer at a team's figures: context, never an input to any score


@dataclass(frozen=True, kw_only=True)
class TeamSignal:
    """An evidence item's pointer at a change in a team signal: the team, a catalogue metric, two
    calendar quarters. The figures are computed from the team's committed events, never typed in;
    `stated` holds the values the packet wrote anyway (checked against the computed ones)."""

    team: str
    metric: str
    start: str  # quarter, e.g. 2026-Q1
    end: str
    stated: tuple[str, str] | None = None


@dataclass(frozen=True, kw_only=True)
class MetricSnapshot:
    metric: str
    value: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class TeamContext:
    team: str
    period: str
    metrics: tuple[MetricSnapshot, ...]


@dataclass(frozen=True, kw_only=True)
class Assessment:
    reviewer: str
    ratings: tuple[tuple[str, int], ...]
    notes: str | None = None

    def rating(self, dimension: str) -> int | None:
        return dict(self.ratings).get(dimension)


@dataclass(frozen=True, kw_only=True)
class DimensionRating:
    dimension: str
    rating: int
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class CriterionJudgement:
    criterion: str
    met: bool
    convincing: tuple[str, ...] = ()
    unconvincing: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Counterexample:
    description: str
    criterion: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReviewContent:
    """What a reviewer judged: the part that is sealed when sealing is on."""

    ratings: tuple[DimensionRating, ...]
    criteria: tuple[CriterionJudgement, ...] = ()
    counterexamples: tuple[Counterexample, ...] = ()

    def rating(self, dimension: str) -> int | None:
        return next((r.rating for r in self.ratings if r.dimension == dimension), None)


@dataclass(frozen=True, kw_only=True)
class Review:
    """One reviewer's file beside a packet (packets/<cycle>/<slug>.reviews/<reviewer>.yaml).
    `content` is None while sealed; `armored` holds the age ciphertext then."""

    reviewer: str
    packet: str
    date: str
    file: str
    content: ReviewContent | None = None
    armored: str | None = field(default=None, repr=False)
    signature: str | None = field(default=None, repr=False)  # SSHSIG armor over header + content digest
    commitment: str | None = None  # sealed: "sha256:<hex>" of the salted content, signed in clear
    recipients: tuple[str, ...] = ()  # sealed: the age recipients it was sealed to (informative)
    salt: str | None = field(default=None, repr=False)  # opened: the salt inside the sealed content
    unopened: str | None = None  # why the sealed block could not be opened (corrupt, replaced, other keys)
    packet_digest: str | None = None  # the packet as reviewed (signed): see check.reviews.packet_digest
    replaces: str | None = None  # the digest of the signature of the version it replaced (signed)
    # Why this review is not counted, None when it counts: set by check.reviews.with_counting, the
    # one rule every count goes through (signature, conflict of interest, assignment).
    unverified: str | None = None

    @property
    def sealed(self) -> bool:
        return self.content is None

    @property
    def packet_file(self) -> str:
        return self.file.rsplit("/", 1)[0].removesuffix(".reviews") + ".yaml"

    def as_assessment(self) -> Assessment | None:
        if self.content is None or self.unverified is not None:
            return None
        notes = "; ".join(f"{r.dimension}: {r.note}" for r in self.content.ratings if r.note) or None
        return Assessment(
            reviewer=self.reviewer, ratings=tuple((r.dimension, r.rating) for r in self.content.ratings), notes=notes
        )


@dataclass(frozen=True, kw_only=True)
class Assignment:
    """The reviewers the committee assigned to one packet (one entry of packets/<cycle>/assignments.yaml)."""

    cycle: str
    packet: str  # slug
    reviewers: tuple[str, ...]
    assigned: str
    file: str
    candidate_id: str | None = None  # the committee's record of who the candidate is (conflict rules)
    manager: str | None = None  # and of their manager

    @property
    def packet_file(self) -> str:
        return f"{self.file.rsplit('/', 1)[0]}/{self.packet}.yaml"


@dataclass(frozen=True, kw_only=True)
class Decision:
    status: DecisionStatus
    date: str | None = None
    feedback: str | None = None
    submitted: str | None = None  # when the packet was put up for review, where the packet says so
    rationale: str | None = None
    effective: str | None = None
    against_numbers: str | None = None  # the calibration flag the committee discussed, when it went against the numbers


@dataclass(frozen=True, kw_only=True)
class Appeal:
    filed: str
    status: AppealStatus
    decided: str | None = None
    reason: str | None = None
    rationale: str | None = None


@dataclass(frozen=True, kw_only=True)
class Packet:
    slug: str
    candidate: str
    visibility: Visibility
    cycle: str
    criteria_version: str
    track: str
    current_level: str
    target_level: str
    summary: str
    evidence: tuple[Evidence, ...]
    team_context: TeamContext | None
    assessments: tuple[Assessment, ...]
    decision: Decision
    file: str
    appeal: Appeal | None = None
    reviews: tuple[Review, ...] = ()  # review files beside the packet, sealed or open
    assigned: tuple[str, ...] = ()  # reviewer ids the committee assigned (packets/<cycle>/assignments.yaml)
    assigned_on: str | None = None
    candidate_id: str | None = None  # the candidate's person id (as reviewers are registered): conflict rules
    manager: str | None = None  # the candidate's manager's person id: conflict rules
    committee_ids: tuple[str, ...] = ()  # the candidate's person id and manager as the assignments file records them
    in_file_not_counted: str | None = None  # why the in-file assessments do not count (check.reviews.with_counting)

    @property
    def is_example(self) -> bool:
        return self.visibility == "example"

    @property
    def is_decided(self) -> bool:
        return self.decision.status in ("promoted", "not-yet")

    @property
    def candidate_ids(self) -> frozenset[str]:
        """Who the candidate is: the packet's say and the committee's (either one is enough for a conflict)."""
        return frozenset(i for i in (self.candidate_id, self.committee_ids[0] if self.committee_ids else None) if i)

    @property
    def managers(self) -> frozenset[str]:
        return frozenset(i for i in (self.manager, self.committee_ids[1] if len(self.committee_ids) > 1 else None) if i)

    @property
    def counted_reviews(self) -> tuple[Review, ...]:
        """The review files that count (sealed or open): verified, unconflicted, assigned."""
        return tuple(r for r in self.reviews if r.unverified is None)

    @property
    def counted_in_file(self) -> tuple[Assessment, ...]:
        """The in-file assessments (history), when they count."""
        return self.assessments if self.in_file_not_counted is None else ()

    @property
    def reviews_in(self) -> int:
        """Every counted review, in-file or file, sealed or open."""
        return len(self.counted_in_file) + len(self.counted_reviews)

    @property
    def all_assessments(self) -> tuple[Assessment, ...]:
        """Every counted rating that can be read: in-file assessments and opened review files."""
        opened = tuple(a for r in self.counted_reviews if (a := r.as_assessment()) is not None)
        return self.counted_in_file + opened

    @property
    def sealed_reviews(self) -> int:
        return sum(r.sealed for r in self.reviews)


Rule = Literal["all", "proportion", "holistic", "points"]
Carried = Literal["required", "context"]


@dataclass(frozen=True, kw_only=True)
class PromotionRule:
    """How evidence is judged against a target level (settings: promotion, or a track's own)."""

    rule: Rule = "all"
    carried: Carried = "required"
    minimum_share: float | None = None  # proportion
    must_have: tuple[str, ...] = ()  # proportion
    milestone_points: tuple[int, ...] = ()  # points: what milestone 1, 2, ... is worth
    point_levels: tuple[tuple[str, int], ...] = ()  # points: (level id, minimum total), lowest first
    point_titles: tuple[tuple[str, int], ...] = ()  # points: (title, minimum total), lowest first


@dataclass(frozen=True, kw_only=True)
class Track:
    id: str
    name: str
    summary: str | None
    levels: tuple[str, ...] = ()
    promotion: PromotionRule | None = None  # None: the settings' rule


@dataclass(frozen=True, kw_only=True)
class CriterionAttribute:
    id: str
    name: str
    values: tuple[str, ...]  # lowest first


@dataclass(frozen=True, kw_only=True)
class OrganisationPage:
    id: str
    title: str
    section: str = "reference"


@dataclass(frozen=True, kw_only=True)
class Interview:
    description: str
    levels: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DimensionGroup:
    id: str
    name: str
    summary: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReviewCycle:
    id: str
    name: str
    opens: str
    closes: str
    reviews_due: str | None = None  # when reviews are owed (default: the day the cycle closes)

    @property
    def due(self) -> str:
        return self.reviews_due or self.closes


@dataclass(frozen=True, kw_only=True)
class Reviewer:
    """A person who may review packets, with the public SSH key their reviews are signed with."""

    id: str
    key: str  # "ssh-ed25519 AAAA... [comment]"
    name: str | None = None
    handle: str | None = None  # GitHub or GitLab username, mentioned in the tracking issue


@dataclass(frozen=True, kw_only=True)
class Conflicts:
    """Assignment rules beyond the one that always holds (no one reviews their own packet)."""

    manager: bool = False  # the candidate's manager may not review the packet
    declared: tuple[tuple[str, str], ...] = ()  # (reviewer id, candidate id or name)
    max_packets_per_reviewer: int | None = None  # per cycle


@dataclass(frozen=True, kw_only=True)
class ReviewProcess:
    """Every field is the organisation's own claim; None or empty means the site says nothing about it."""

    reviewers_per_packet: int | None = None
    calibration: str | None = None
    appeal: str | None = None
    steps: tuple[str, ...] = ()
    submission: str | None = None
    committee_text: str | None = None
    interviews: tuple[Interview, ...] = ()
    sealing: bool = False
    committee: tuple[tuple[str, str], ...] = ()  # (member, age recipient)
    decisions_keep_ratings: bool = False
    conflict_bar: float | None = None
    evidence_without_link: tuple[str, ...] = ("mentoring", "glue-work", "on-call")
    reviewers: tuple[Reviewer, ...] = ()  # registered reviewers: when any are, every review must be signed
    conflicts: Conflicts = Conflicts()

    def reviewer(self, reviewer_id: str) -> Reviewer | None:
        return next((r for r in self.reviewers if r.id == reviewer_id), None)


@dataclass(frozen=True, kw_only=True)
class Settings:
    organisation: str
    handbook_url: str | None
    repository_url: str | None
    criteria_version: str
    tracks: tuple[Track, ...]
    review_cycles: tuple[ReviewCycle, ...]
    due_soon_days: int
    default_metric_cadence: str
    default_dimension_cadence: str
    publish_packets: str
    allowed_link_schemes: tuple[str, ...]
    review_process: ReviewProcess
    file: str
    default_owners: tuple[str, ...] = ()
    packet_owners: tuple[str, ...] = ()
    minimum_group_size: int = 5
    protected_paths: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (CODEOWNERS path, owners)
    dimension_groups: tuple[DimensionGroup, ...] = ()
    handbook_title: str | None = None

    @property
    def site_name(self) -> str:
        return self.handbook_title or f"{self.organisation} Handbook"

    round_counts_to: int = 1
    acknowledge_private_packets: bool = False
    promotion: PromotionRule = PromotionRule()
    track_changes: tuple[tuple[str, str], ...] = ()  # (from track, to track)
    criterion_attributes: tuple[CriterionAttribute, ...] = ()
    pages: tuple[OrganisationPage, ...] = ()
    process_declared: bool = False  # whether the settings have a review_process section
    promotion_declared: bool = False  # whether the settings state a promotion rule (pages say nothing otherwise)

    def rule_for(self, track_id: str | None) -> PromotionRule:
        track = next((t for t in self.tracks if t.id == track_id), None)
        return track.promotion if track is not None and track.promotion is not None else self.promotion

    def allows_move(self, from_track: str, to_track: str) -> bool:
        return from_track == to_track or (from_track, to_track) in self.track_changes

    @cached_property
    def track_ids(self) -> frozenset[str]:
        return frozenset(t.id for t in self.tracks)

    @cached_property
    def cycle_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.review_cycles)


@dataclass(frozen=True, kw_only=True)
class Handbook:
    settings: Settings | None
    composite: Composite | None
    levels: tuple[Level, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    metrics: tuple[Metric, ...] = ()
    packets: tuple[Packet, ...] = ()
    reviews: tuple[Review, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    declared_ids: frozenset[tuple[str, str]] = field(default=frozenset(), compare=False)
    # Criteria versions that packets pin, other than the current one: version -> that handbook (pinned.py).
    pinned: Mapping[str, Handbook] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def ordered_dimensions(self) -> tuple[Dimension, ...]:
        """Dimensions in their declared order: by group (in the settings' order), then `order`, then id."""
        groups = {g.id: index for index, g in enumerate(self.settings.dimension_groups)} if self.settings else {}
        return tuple(sorted(self.dimensions, key=lambda d: (groups.get(d.group or "", len(groups)), d.order, d.id)))

    @cached_property
    def dimension_groups(self) -> tuple[tuple[DimensionGroup | None, tuple[Dimension, ...]], ...]:
        """Dimensions by declared group, in order; one (None, all) entry when no group is declared."""
        declared = self.settings.dimension_groups if self.settings else ()
        dims = self.ordered_dimensions
        groups = [(g, tuple(d for d in dims if d.group == g.id)) for g in declared]
        known = {g.id for g in declared}
        rest = tuple(d for d in dims if d.group not in known)
        return tuple((g, ds) for g, ds in [*groups, (None, rest)] if ds)

    @property
    def tracks(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.settings.tracks) if self.settings else ()

    def track(self, track_id: str) -> Track | None:
        return next((t for t in self.settings.tracks if t.id == track_id), None) if self.settings else None

    def tracks_of(self, level_id: str) -> tuple[Track, ...]:
        return tuple(t for t in self.settings.tracks if level_id in t.levels) if self.settings else ()

    def is_below(self, lower: str, higher: str, track: str | None = None) -> bool:
        """Whether `lower` comes before `higher` on `track` (or on some track holding both)."""
        for t in self.settings.tracks if self.settings else ():
            if (track is None or t.id == track) and lower in t.levels and higher in t.levels:
                if t.levels.index(lower) < t.levels.index(higher):
                    return True
        return False

    @cached_property
    def _below(self) -> dict[str, tuple[str, ...]]:
        below: dict[str, dict[str, None]] = {}
        for t in self.settings.tracks if self.settings else ():
            for index, level_id in enumerate(t.levels):
                below.setdefault(level_id, {}).update(dict.fromkeys(t.levels[:index]))
        return {level_id: tuple(ids) for level_id, ids in below.items()}

    def levels_below(self, level_id: str) -> tuple[str, ...]:
        """Every level below this one on any track that holds it, lowest first."""
        return self._below.get(level_id, ())

    @cached_property
    def adjacent_pairs(self) -> tuple[tuple[Level, Level], ...]:
        """Every adjacent pair of levels on every track, once each (a shared step is listed once)."""
        pairs: dict[tuple[str, str], tuple[Level, Level]] = {}
        for t in self.settings.tracks if self.settings else ():
            levels = self.track_levels(t.id)
            for lower, higher in zip(levels, levels[1:]):
                pairs.setdefault((lower.id, higher.id), (lower, higher))
        return tuple(pairs.values())

    # Indexes: built once per model (cached_property writes to the instance dict, which a frozen
    # dataclass allows), so that cross-reference checks stay linear in the number of packets.
    @cached_property
    def _levels_by_id(self) -> dict[str, Level]:
        return {lvl.id: lvl for lvl in reversed(self.levels)}

    @cached_property
    def _dimensions_by_id(self) -> dict[str, Dimension]:
        return {d.id: d for d in reversed(self.dimensions)}

    @cached_property
    def _metrics_by_id(self) -> dict[str, Metric]:
        return {m.id: m for m in reversed(self.metrics)}

    @cached_property
    def _criteria_by_id(self) -> dict[str, Criterion]:
        return {c.id: c for d in reversed(self.dimensions) for c in reversed((*d.criteria, *d.milestone_criteria))}

    @cached_property
    def _packets_by_file(self) -> dict[str, Packet]:
        return {p.file: p for p in reversed(self.packets)}

    def packet(self, file: str) -> Packet | None:
        """The packet at this repository-relative path (packets/<cycle>/<slug>.yaml)."""
        return self._packets_by_file.get(file)

    def level(self, level_id: str) -> Level | None:
        return self._levels_by_id.get(level_id)

    def dimension(self, dimension_id: str) -> Dimension | None:
        return self._dimensions_by_id.get(dimension_id)

    def metric(self, metric_id: str) -> Metric | None:
        return self._metrics_by_id.get(metric_id)

    def track_levels(self, track: str) -> tuple[Level, ...]:
        """The track's levels in ladder order (ids that name no level are left out)."""
        found = self.track(track)
        return tuple(lvl for lvl in (self.level(i) for i in (found.levels if found else ())) if lvl)

    def criteria_for_level(self, level_id: str) -> tuple[Criterion, ...]:
        """The criteria written for this level (not those carried up from lower levels)."""
        return tuple(c for d in self.ordered_dimensions for c in d.criteria_for(level_id))

    def expected_criteria(self, level_id: str, dimension_id: str | None = None) -> tuple[Criterion, ...]:
        """Everything expected at this level: its own criteria, and every lower level's criterion on its
        tracks that no criterion up to this level raises. Lowest level first, in dimension order."""
        key = (level_id, dimension_id)
        if key not in self._expected:
            chain = (*self.levels_below(level_id), level_id)
            dims = [self.dimension(dimension_id)] if dimension_id else self.ordered_dimensions
            expected: list[Criterion] = []
            for dim in dims:
                if dim is None:
                    continue
                written = [c for lvl in chain for c in dim.criteria_for(lvl)]
                raised = {c.raises for c in written if c.raises}
                expected.extend(c for c in written if c.id not in raised)
            self._expected[key] = tuple(expected)
        return self._expected[key]

    @cached_property
    def _expected(self) -> dict[tuple[str, str | None], tuple[Criterion, ...]]:
        return {}

    def carried_criteria(self, level_id: str, dimension_id: str | None = None) -> tuple[Criterion, ...]:
        """Lower levels' criteria that still apply at this level."""
        return tuple(c for c in self.expected_criteria(level_id, dimension_id) if c.level != level_id)

    def raised_by(self, criterion: Criterion) -> Criterion | None:
        """The lower criterion this one replaces."""
        return self.criterion(criterion.raises) if criterion.raises else None

    def criterion(self, criterion_id: str) -> Criterion | None:
        return self._criteria_by_id.get(criterion_id)

    def is_declared(self, kind: str, identifier: str) -> bool:
        """Whether some file declares this id, even one that failed its schema (avoids cascades)."""
        return (kind, identifier) in self.declared_ids


@dataclass(frozen=True, kw_only=True)
class CheckedHandbook(Handbook):
    """A handbook that passed validation: what validation guarantees is no longer Optional.
    Only `checked` (the workspace, after a report without errors) makes one."""

    settings: Settings


def checked(handbook: Handbook) -> CheckedHandbook:
    """The same handbook, typed as checked; raises ValueError when it has no settings (a caller
    must only pass the handbook of a report without errors)."""
    if isinstance(handbook, CheckedHandbook):
        return handbook
    if handbook.settings is None:
        raise ValueError("a handbook without settings did not pass validation")
    return CheckedHandbook(**{f.name: getattr(handbook, f.name) for f in fields(Handbook)})
