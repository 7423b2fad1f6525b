"""Turn schema-valid documents into the immutable handbook model."""

from __future__ import annotations

from typing import Any, Iterable

from .model import (
    Appeal,
    Assessment,
    BenchmarkBand,
    Calculation,
    Component,
    Composite,
    Criterion,
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
    Level,
    Metric,
    MetricSnapshot,
    Owner,
    Packet,
    RatingAnchor,
    Readiness,
    ReviewCycle,
    ReviewProcess,
    Settings,
    TeamContext,
    TimeInLevel,
    Track,
)
from .reviews import attach_reviews, review


def build_handbook(valid: Iterable[tuple[str, str, Any]], declared: Iterable[tuple[str, Any]] = ()) -> Handbook:
    """`valid` holds (kind, file, data) for documents that passed their schema; `declared` holds
    (kind, data) for every loaded document so that ids of broken files are still known."""
    by_kind: dict[str, list] = {}
    for kind, file, data in valid:
        by_kind.setdefault(kind, []).append(_BUILDERS[kind](file, data))
    declared_ids = frozenset(_declared_ids(declared))
    reviews = tuple(by_kind.get("review", []))
    return Handbook(
        settings=next(iter(by_kind.get("settings", [])), None),
        composite=next(iter(by_kind.get("composite", [])), None),
        levels=tuple(by_kind.get("level", [])),
        dimensions=tuple(by_kind.get("dimension", [])),
        metrics=tuple(by_kind.get("metric", [])),
        packets=attach_reviews(tuple(by_kind.get("packet", [])), reviews),
        reviews=reviews,
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


def _owner(data: dict) -> Owner:
    return Owner(data["group"], data["contact"])


def _governance(data: dict) -> Governance:
    return Governance(data["last_reviewed"], data.get("review_cadence"), data.get("status", "active"))


def dimension(file: str, d: dict) -> Dimension:
    criteria = tuple(
        Criterion(c["id"], c["text"], tuple(c.get("examples", ())), d["id"], level, file, index, c.get("raises"),
                  c.get("external_id"))
        for level, items in d["expectations"].items()
        for index, c in enumerate(items)
    )
    anchors = tuple(RatingAnchor(a["score"], a["label"], a["meaning"]) for a in d.get("rating_anchors", ()))
    return Dimension(d["id"], d["name"], d["order"], d.get("group"), _owner(d["owner"]), d["summary"],
                     tuple(d.get("signals", ())), tuple(sorted(anchors, key=lambda a: a.score)), criteria,
                     tuple(d.get("anti_gaming", ())), _governance(d["governance"]), file)


def metric(file: str, d: dict) -> Metric:
    calc = d["calculation"]
    bench = d.get("benchmark") or {}
    return Metric(
        d["id"], d["name"], d.get("group"), d["subject"], d.get("dora", False), d.get("unit"), d["purpose"],
        Calculation(calc["formula"], calc["aggregation"], calc["window"], tuple(calc["data_sources"]),
                    tuple(calc.get("exclusions", ()))),
        tuple(d["limitations"]), tuple(Guardrail(g["risk"], g["guardrail"]) for g in d["anti_gaming"]),
        _owner(d["owner"]), _governance(d["governance"]), bench.get("source"),
        tuple(BenchmarkBand(b["label"], b["range"]) for b in bench.get("bands", ())), file,
        tuple(HarmReview(r["date"], tuple(r["participants"]), r["outcome"],
                         tuple(Harm(h["kind"], h["description"]) for h in r["harms_found"]), tuple(r["actions"]))
              for r in d.get("harm_reviews", ())))


def composite(file: str, d: dict) -> Composite:
    return Composite(
        d["advisory"], d["scale"]["min"], d["scale"]["max"],
        tuple(Component(c["dimension"], c["weight"]) for c in d["components"]),
        tuple(Gate(g["dimension"], g["below"], g["cap"], g["reason"]) for g in d.get("gates", ())),
        d["minimum_coverage"], d["explanation"], file)


def level(file: str, d: dict) -> Level:
    t, r = d.get("typical_time_in_level"), d.get("readiness")
    return Level(d["id"], d["title"], d["summary"], file, d.get("scope"), d.get("complexity"), d.get("consistency"),
                 TimeInLevel(t["min_months"], t.get("max_months"), t.get("note")) if t else None,
                 Readiness(tuple(r.get("convincing", ())), tuple(r.get("disqualifying", ())),
                           tuple(r.get("sustained_growth", ()))) if r else None)


def packet(file: str, d: dict) -> Packet:
    evidence = tuple(
        Evidence(e["id"], e["title"], e["kind"], e.get("link"), e["date"], e["role"], tuple(e["criteria"]),
                 e["impact"], e.get("invisible_work", False), index)
        for index, e in enumerate(d["evidence"]))
    tc = d.get("team_context")
    team = TeamContext(tc["team"], tc["period"], tuple(MetricSnapshot(m["metric"], m["value"], m.get("note"))
                                                      for m in tc["metrics"])) if tc else None
    assessments = tuple(Assessment(a["reviewer"], tuple(a["ratings"].items()), a.get("notes"))
                        for a in d.get("assessments", ()))
    dec, app = d["decision"], d.get("appeal")
    return Packet(file.rsplit("/", 1)[-1].removesuffix(".yaml"), d["candidate"], d["visibility"], d["cycle"], d["criteria_version"],
                  d["track"], d["current_level"], d["target_level"], d["summary"], evidence, team, assessments,
                  Decision(dec["status"], dec.get("date"), dec.get("feedback")), file,
                  Appeal(app["filed"], app["status"], app.get("decided")) if app else None)


def settings(file: str, d: dict) -> Settings:
    org, gov, pub, proc = d["organisation"], d["governance"], d["publish"], d["review_process"]
    return Settings(
        org["name"], org.get("handbook_url"), org.get("repository_url"), d["criteria_version"],
        tuple(Track(t["id"], t["name"], t.get("summary"), tuple(t["levels"])) for t in d["tracks"]),
        tuple(ReviewCycle(c["id"], c["name"], c["opens"], c["closes"]) for c in d["review_cycles"]),
        gov["due_soon_days"], gov["default_cadence"]["metrics"], gov["default_cadence"]["dimensions"],
        pub["packets"], tuple(pub.get("allowed_link_schemes", ("https",))),
        _review_process(proc),
        file, tuple(d.get("codeowners", {}).get("default", ())), tuple(d.get("codeowners", {}).get("packets", ())),
        pub.get("minimum_group_size", 5),
        dimension_groups=tuple(DimensionGroup(g["id"], g["name"], g.get("summary")) for g in d.get("dimension_groups", ())),
        handbook_title=org.get("handbook_title"),
        round_counts_to=pub.get("round_counts_to", 1),
        acknowledge_private_packets=pub.get("acknowledge_private_packets", False),
        protected_paths=tuple((p["path"], tuple(p["owners"])) for p in d.get("codeowners", {}).get("protected", ())))


def _review_process(proc: dict) -> ReviewProcess:
    sealing = proc.get("sealing", {})
    return ReviewProcess(proc["reviewers_per_packet"], proc["calibration"], proc["appeal"], tuple(proc["steps"]),
                         sealing.get("enabled", False),
                         tuple((m["member"], m["recipient"]) for m in sealing.get("committee", ())),
                         sealing.get("decisions_keep_ratings", False), proc.get("conflict_bar"),
                         tuple(proc.get("evidence_without_link", ("mentoring", "glue-work", "on-call"))))


_BUILDERS = {"dimension": dimension, "metric": metric, "composite": composite, "level": level,
             "packet": packet, "settings": settings, "review": review}
