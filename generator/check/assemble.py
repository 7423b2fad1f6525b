"""Turn schema-valid documents into the immutable handbook model."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..model.handbook import (
    Appeal,
    Assessment,
    BenchmarkBand,
    Calculation,
    Component,
    Composite,
    Conflicts,
    Criterion,
    CriterionAttribute,
    Decision,
    Dimension,
    DimensionGroup,
    Evidence,
    Gate,
    Governance,
    Guardrail,
    Handbook,
    Harm,
    HarmReview,
    Interview,
    Level,
    Metric,
    MetricSnapshot,
    Milestone,
    OrganisationPage,
    Owner,
    Packet,
    PromotionRule,
    RatingAnchor,
    Readiness,
    ReviewCycle,
    Reviewer,
    ReviewProcess,
    Settings,
    TeamContext,
    TeamSignal,
    TimeInLevel,
    Track,
)
from .reviews import assignments, attach_assignments, attach_reviews, review


def build_handbook(valid: Iterable[tuple[str, str, Any]], declared: Iterable[tuple[str, Any]] = ()) -> Handbook:
    """`valid` holds (kind, file, data) for documents that passed their schema; `declared` holds
    (kind, data) for every loaded document so that ids of broken files are still known."""
    by_kind: dict[str, list[Any]] = {}
    for kind, file, data in valid:
        by_kind.setdefault(kind, []).append(_BUILDERS[kind](file, data))
    declared_ids = frozenset(_declared_ids(declared))
    reviews = tuple(by_kind.get("review", []))
    assignments = tuple(a for group in by_kind.get("assignments", []) for a in group)
    return Handbook(
        settings=next(iter(by_kind.get("settings", [])), None),
        composite=next(iter(by_kind.get("composite", [])), None),
        levels=tuple(by_kind.get("level", [])),
        dimensions=tuple(by_kind.get("dimension", [])),
        metrics=tuple(by_kind.get("metric", [])),
        packets=attach_assignments(attach_reviews(tuple(by_kind.get("packet", [])), reviews), assignments),
        reviews=reviews,
        assignments=assignments,
        declared_ids=declared_ids,
    )


def _declared_ids(declared: Iterable[tuple[str, Any]]) -> Iterable[tuple[str, str]]:
    for kind, data in declared:
        if not isinstance(data, dict):
            continue
        if isinstance(data.get("id"), str):
            yield kind, data["id"]
        if kind == "dimension" and isinstance(data.get("expectations"), dict):
            for items in data["expectations"].values():
                for item in items if isinstance(items, list) else ():
                    if isinstance(item, dict) and isinstance(item.get("id"), str):
                        yield "criterion", item["id"]


def _owner(data: dict[str, Any]) -> Owner:
    return Owner(group=data["group"], contact=data["contact"])


def _governance(data: dict[str, Any]) -> Governance:
    return Governance(
        last_reviewed=data.get("last_reviewed"),
        review_cadence=data.get("review_cadence"),
        status=data.get("status", "active"),
    )


def _criterion(
    c: dict[str, Any], dimension_id: str, level: str, file: str, index: int, milestone: int | None = None
) -> Criterion:
    return Criterion(
        id=c["id"],
        text=c["text"],
        examples=tuple(c.get("examples", ())),
        dimension=dimension_id,
        level=level,
        file=file,
        index=index,
        raises=c.get("raises"),
        external_id=c.get("external_id"),
        milestone=milestone,
        attributes=tuple(c.get("attributes", {}).items()),
    )


def dimension(file: str, d: dict[str, Any]) -> Dimension:
    criteria = tuple(
        _criterion(c, d["id"], level, file, index)
        for level, items in d.get("expectations", {}).items()
        for index, c in enumerate(items)
    )
    milestones = tuple(
        Milestone(
            number=n,
            name=m.get("name") or f"Milestone {n}",
            points=m.get("points"),
            summary=m.get("summary"),
            criteria=tuple(_criterion(c, d["id"], "", file, index, n) for index, c in enumerate(m["criteria"])),
        )
        for n, m in enumerate(d.get("milestones", ()), 1)
    )
    anchors = tuple(
        RatingAnchor(score=a["score"], label=a["label"], meaning=a["meaning"]) for a in d.get("rating_anchors", ())
    )
    return Dimension(
        id=d["id"],
        name=d["name"],
        order=d["order"],
        group=d.get("group"),
        owner=_owner(d["owner"]),
        summary=d["summary"],
        signals=tuple(d.get("signals", ())),
        rating_anchors=tuple(sorted(anchors, key=lambda a: a.score)),
        criteria=criteria,
        anti_gaming=tuple(d.get("anti_gaming", ())),
        governance=_governance(d["governance"]),
        file=file,
        milestones=milestones,
        starts_at=d.get("starts_at"),
    )


def metric(file: str, d: dict[str, Any]) -> Metric:
    calc = d["calculation"]
    bench = d.get("benchmark") or {}
    return Metric(
        id=d["id"],
        name=d["name"],
        group=d.get("group"),
        subject=d["subject"],
        dora=d.get("dora", False),
        unit=d.get("unit"),
        purpose=d["purpose"],
        calculation=Calculation(
            formula=calc["formula"],
            aggregation=calc["aggregation"],
            window=calc["window"],
            data_sources=tuple(calc["data_sources"]),
            exclusions=tuple(calc.get("exclusions", ())),
        ),
        limitations=tuple(d["limitations"]),
        anti_gaming=tuple(Guardrail(risk=g["risk"], guardrail=g["guardrail"]) for g in d["anti_gaming"]),
        owner=_owner(d["owner"]),
        governance=_governance(d["governance"]),
        benchmark_source=bench.get("source"),
        benchmark_bands=tuple(BenchmarkBand(label=b["label"], range=b["range"]) for b in bench.get("bands", ())),
        file=file,
        harm_reviews=tuple(
            HarmReview(
                date=r["date"],
                participants=tuple(r["participants"]),
                outcome=r["outcome"],
                harms_found=tuple(Harm(kind=h["kind"], description=h["description"]) for h in r["harms_found"]),
                actions=tuple(r["actions"]),
            )
            for r in d.get("harm_reviews", ())
        ),
    )


def composite(file: str, d: dict[str, Any]) -> Composite:
    return Composite(
        advisory=d["advisory"],
        scale_min=d["scale"]["min"],
        scale_max=d["scale"]["max"],
        components=tuple(Component(dimension=c["dimension"], weight=c["weight"]) for c in d["components"]),
        gates=tuple(
            Gate(dimension=g["dimension"], below=g["below"], cap=g["cap"], reason=g["reason"])
            for g in d.get("gates", ())
        ),
        minimum_coverage=d["minimum_coverage"],
        explanation=d["explanation"],
        file=file,
    )


def level(file: str, d: dict[str, Any]) -> Level:
    t, r = d.get("typical_time_in_level"), d.get("readiness")
    return Level(
        id=d["id"],
        title=d["title"],
        summary=d.get("summary"),
        file=file,
        scope=d.get("scope"),
        complexity=d.get("complexity"),
        consistency=d.get("consistency"),
        time_in_level=TimeInLevel(min_months=t["min_months"], max_months=t.get("max_months"), note=t.get("note"))
        if t
        else None,
        readiness=Readiness(
            convincing=tuple(r.get("convincing", ())),
            disqualifying=tuple(r.get("disqualifying", ())),
            sustained_growth=tuple(r.get("sustained_growth", ())),
        )
        if r
        else None,
    )


def _team_signal(d: dict[str, Any] | None) -> TeamSignal | None:
    if not d:
        return None
    stated = d.get("stated")
    return TeamSignal(
        team=d["team"],
        metric=d["metric"],
        start=d["from"],
        end=d["to"],
        stated=(stated["from"], stated["to"]) if stated else None,
    )


def packet(file: str, d: dict[str, Any]) -> Packet:
    evidence = tuple(
        Evidence(
            id=e["id"],
            title=e["title"],
            kind=e["kind"],
            link=e.get("link"),
            date=e["date"],
            role=e["role"],
            criteria=tuple(e["criteria"]),
            impact=e["impact"],
            invisible_work=e.get("invisible_work", False),
            index=index,
            team_signal=_team_signal(e.get("team_signal")),
        )
        for index, e in enumerate(d["evidence"])
    )
    tc = d.get("team_context")
    team = (
        TeamContext(
            team=tc["team"],
            period=tc["period"],
            metrics=tuple(
                MetricSnapshot(metric=m["metric"], value=m["value"], note=m.get("note")) for m in tc["metrics"]
            ),
        )
        if tc
        else None
    )
    assessments = tuple(
        Assessment(reviewer=a["reviewer"], ratings=tuple(a["ratings"].items()), notes=a.get("notes"))
        for a in d.get("assessments", ())
    )
    dec, app = d["decision"], d.get("appeal")
    return Packet(
        slug=file.rsplit("/", 1)[-1].removesuffix(".yaml"),
        candidate=d["candidate"],
        visibility=d["visibility"],
        cycle=d["cycle"],
        criteria_version=d["criteria_version"],
        track=d["track"],
        current_level=d["current_level"],
        target_level=d["target_level"],
        summary=d["summary"],
        evidence=evidence,
        team_context=team,
        assessments=assessments,
        decision=Decision(
            status=dec["status"],
            date=dec.get("date"),
            feedback=dec.get("feedback"),
            rationale=dec.get("rationale"),
            effective=dec.get("effective"),
            against_numbers=dec.get("against_numbers"),
            submitted=dec.get("submitted"),
        ),
        file=file,
        appeal=Appeal(
            filed=app["filed"],
            status=app["status"],
            decided=app.get("decided"),
            reason=app.get("reason"),
            rationale=app.get("rationale"),
        )
        if app
        else None,
        candidate_id=d.get("candidate_id"),
        manager=d.get("manager"),
    )


def settings(file: str, d: dict[str, Any]) -> Settings:
    org, gov, pub, proc = d["organisation"], d["governance"], d["publish"], d.get("review_process", {})
    return Settings(
        organisation=org["name"],
        handbook_url=org.get("handbook_url"),
        repository_url=org.get("repository_url"),
        criteria_version=d["criteria_version"],
        tracks=tuple(
            Track(
                id=t["id"],
                name=t["name"],
                summary=t.get("summary"),
                levels=tuple(t["levels"]),
                promotion=_promotion(t["promotion"]) if "promotion" in t else None,
            )
            for t in d["tracks"]
        ),
        review_cycles=tuple(
            ReviewCycle(
                id=c["id"], name=c["name"], opens=c["opens"], closes=c["closes"], reviews_due=c.get("reviews_due")
            )
            for c in d.get("review_cycles", ())
        ),
        due_soon_days=gov["due_soon_days"],
        default_metric_cadence=gov["default_cadence"]["metrics"],
        default_dimension_cadence=gov["default_cadence"]["dimensions"],
        publish_packets=pub["packets"],
        allowed_link_schemes=tuple(pub.get("allowed_link_schemes", ("https",))),
        review_process=_review_process(proc),
        file=file,
        default_owners=tuple(d.get("codeowners", {}).get("default", ())),
        packet_owners=tuple(d.get("codeowners", {}).get("packets", ())),
        minimum_group_size=pub.get("minimum_group_size", 5),
        dimension_groups=tuple(
            DimensionGroup(id=g["id"], name=g["name"], summary=g.get("summary")) for g in d.get("dimension_groups", ())
        ),
        handbook_title=org.get("handbook_title"),
        round_counts_to=pub.get("round_counts_to", 1),
        acknowledge_private_packets=pub.get("acknowledge_private_packets", False),
        protected_paths=tuple((p["path"], tuple(p["owners"])) for p in d.get("codeowners", {}).get("protected", ())),
        promotion=_promotion(d.get("promotion", {})),
        track_changes=tuple((m["from"], m["to"]) for m in d.get("track_changes", ())),
        criterion_attributes=tuple(
            CriterionAttribute(id=a["id"], name=a["name"], values=tuple(a["values"]))
            for a in d.get("criterion_attributes", ())
        ),
        pages=tuple(
            OrganisationPage(id=p["id"], title=p["title"], section=p.get("section", "reference"))
            for p in d.get("pages", ())
        ),
        process_declared="review_process" in d,
        promotion_declared="promotion" in d or any("promotion" in t for t in d["tracks"]),
    )


def _promotion(p: dict[str, Any]) -> PromotionRule:
    return PromotionRule(
        rule=p.get("rule", "all"),
        carried=p.get("carried", "required"),
        minimum_share=p.get("minimum_share"),
        must_have=tuple(p.get("must_have", ())),
        milestone_points=tuple(p.get("milestone_points", ())),
        point_levels=tuple((x["level"], x["minimum"]) for x in p.get("levels", ())),
        point_titles=tuple((x["title"], x["minimum"]) for x in p.get("titles", ())),
    )


def _review_process(proc: dict[str, Any]) -> ReviewProcess:
    sealing = proc.get("sealing", {})
    return ReviewProcess(
        reviewers_per_packet=proc.get("reviewers_per_packet"),
        calibration=proc.get("calibration"),
        appeal=proc.get("appeal"),
        steps=tuple(proc.get("steps", ())),
        submission=proc.get("submission"),
        committee_text=proc.get("committee"),
        interviews=tuple(
            Interview(
                description=i["description"], levels=tuple(i.get("levels", ())), tracks=tuple(i.get("tracks", ()))
            )
            for i in proc.get("interviews", ())
        ),
        sealing=sealing.get("enabled", False),
        committee=tuple((m["member"], m["recipient"]) for m in sealing.get("committee", ())),
        decisions_keep_ratings=sealing.get("decisions_keep_ratings", False),
        conflict_bar=proc.get("conflict_bar"),
        evidence_without_link=tuple(proc.get("evidence_without_link", ("mentoring", "glue-work", "on-call"))),
        reviewers=tuple(
            Reviewer(id=r["id"], key=r["key"], name=r.get("name"), handle=r.get("handle"))
            for r in proc.get("reviewers", ())
        ),
        conflicts=_conflicts(proc.get("conflicts", {})),
    )


def _conflicts(data: dict[str, Any]) -> Conflicts:
    return Conflicts(
        manager=data.get("manager", False),
        declared=tuple((c["reviewer"], c["candidate"]) for c in data.get("declared", ())),
        max_packets_per_reviewer=data.get("max_packets_per_reviewer"),
    )


_BUILDERS = {
    "dimension": dimension,
    "metric": metric,
    "composite": composite,
    "level": level,
    "packet": packet,
    "settings": settings,
    "review": review,
    "assignments": assignments,
}
