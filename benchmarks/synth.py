"""Deterministic synthetic handbook repositories: N levels, M metrics, P packets, a declared share of errors.

    python -m benchmarks.synth OUT --levels 8 --metrics 20 --packets 10000 --seed 7 --error-rate 0.01

Every date is relative to the day it is generated for (today by default), so a packet is valid on
that day: evidence in the past year, decided packets dated, reviews recent. Only the declared share
(`error_rate`) of packets is broken on purpose, each in one of four ways, and `generate` returns
how many, so the figures time the path they say they time.
"""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

WORDS = (
    "migration service latency review design incident rollout platform billing search checkout "
    "on-call mentoring dashboard alert runbook capacity schema cache queue api contract release"
).split()
KINDS = ("pull-request", "rfc", "design-review", "postmortem", "on-call", "mentoring", "observability", "glue-work")
ROLES = ("author", "lead", "contributor", "reviewer", "mentor", "responder")
DIMENSIONS = (
    ("delivery", "Delivery", "delivery"),
    ("reliability", "Reliability", "reliability"),
    ("collaboration", "Collaboration", "collaboration"),
)


def sentence(rng: random.Random, words: int = 9) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def dump(path: Path, kind: str, data: dict[str, Any], depth: int) -> None:
    """depth: how many folders the file sits below the repository root."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = f"# yaml-language-server: $schema={'../' * depth}generator/check/schemas/{kind}.schema.json\n"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), "utf-8")


def generate(
    out: Path,
    levels: int = 6,
    metrics: int = 10,
    packets: int = 1000,
    seed: int = 7,
    error_rate: float = 0.01,
    today: date | None = None,
) -> dict[str, int]:
    """The repository at `out`, valid on `today` except for `error_rate` of its packets."""
    rng = random.Random(seed)
    day = today or date.today()
    out.mkdir(parents=True, exist_ok=True)
    level_ids = [f"ic{i}" for i in range(1, levels + 1)]
    _settings(out, level_ids, day)
    _levels(out, level_ids, rng)
    metric_ids = _metrics(out, metrics, rng, day)
    criteria = _dimensions(out, level_ids, metric_ids, rng, day)
    _composite(out)
    errors = _packets(out, packets, level_ids, criteria, metric_ids, rng, error_rate, day)
    return {
        "levels": levels,
        "metrics": metrics,
        "packets": packets,
        "criteria": sum(map(len, criteria.values())),
        "packets_with_errors": errors,
    }


def _ago(day: date, days: int) -> str:
    return (day - timedelta(days=days)).isoformat()


def _cycles(day: date) -> list[str]:
    return [f"{y}-h{h}" for y in (day.year - 1, day.year) for h in (1, 2)]


def _settings(out: Path, level_ids: list[str], day: date) -> None:
    data = {
        "organisation": {"name": "Synthetic Org"},
        "criteria_version": "1.0.0",
        "tracks": [{"id": "ic", "name": "Individual contributor", "summary": "Engineers.", "levels": level_ids}],
        "review_cycles": [
            {
                "id": f"{y}-h{h}",
                "name": f"{y} H{h}",
                "opens": f"{y}-{'05' if h == 1 else '11'}-01",
                "closes": f"{y}-{'06' if h == 1 else '12'}-15",
            }
            for y in (day.year - 1, day.year)
            for h in (1, 2)
        ],
        "governance": {"due_soon_days": 30, "default_cadence": {"metrics": "quarterly", "dimensions": "semiannual"}},
        "publish": {"packets": "examples", "allowed_link_schemes": ["https"], "acknowledge_private_packets": True},
        "review_process": {
            "reviewers_per_packet": 3,
            "calibration": "Committee.",
            "appeal": "Within 30 days.",
            "steps": ["Open a pull request."],
        },
    }
    dump(out / "site_config" / "handbook.yaml", "settings", data, 1)


def _levels(out: Path, level_ids: list[str], rng: random.Random) -> None:
    for rank, level_id in enumerate(level_ids, start=1):
        dump(
            out / "levels" / f"{level_id}.yaml",
            "level",
            depth=1,
            data={
                "id": level_id,
                "title": f"Engineer {rank}",
                "summary": sentence(rng),
                "scope": sentence(rng),
                "complexity": sentence(rng),
                "consistency": sentence(rng),
                "typical_time_in_level": {"min_months": 12 + rank * 6},
                "readiness": {
                    "convincing": [sentence(rng)],
                    "disqualifying": [sentence(rng)],
                    "sustained_growth": [sentence(rng)],
                },
            },
        )


def _metrics(out: Path, count: int, rng: random.Random, day: date) -> list[str]:
    ids = [f"metric-{i:03d}" for i in range(count)]
    for metric_id in ids:
        dump(
            out / "rubrics" / "metrics" / f"{metric_id}.yaml",
            "metric",
            depth=2,
            data={
                "id": metric_id,
                "name": metric_id.replace("-", " ").title(),
                "subject": "team",
                "purpose": sentence(rng),
                "calculation": {
                    "formula": sentence(rng),
                    "aggregation": "Median per team.",
                    "window": "90 days",
                    "data_sources": ["Pipeline events"],
                },
                "limitations": [sentence(rng)],
                "anti_gaming": [{"risk": sentence(rng), "guardrail": sentence(rng)}],
                "owner": {"group": "Platform", "contact": "platform@example.com"},
                "governance": {"status": "active", "last_reviewed": _ago(day, 30)},
            },
        )
    return ids


def _dimensions(
    out: Path, level_ids: list[str], metric_ids: list[str], rng: random.Random, day: date
) -> dict[str, list[str]]:
    by_level: dict[str, list[str]] = {level: [] for level in level_ids}
    for order, (dim_id, name, _) in enumerate(DIMENSIONS, 1):
        expectations = {}
        for level in level_ids:
            items = []
            for index in range(rng.randint(2, 4)):
                criterion_id = f"{dim_id[:3]}-{level}-c{index}"
                items.append({"id": criterion_id, "text": sentence(rng, 14), "examples": [sentence(rng, 12)]})
                by_level[level].append(criterion_id)
            expectations[level] = items
        dump(
            out / "rubrics" / "dimensions" / f"{dim_id}.yaml",
            "dimension",
            depth=2,
            data={
                "id": dim_id,
                "name": name,
                "order": order,
                "owner": {"group": "Leads", "contact": "leads@example.com"},
                "summary": sentence(rng),
                "signals": rng.sample(metric_ids, min(2, len(metric_ids))),
                "rating_anchors": [{"score": s, "label": f"Anchor {s}", "meaning": sentence(rng)} for s in range(1, 6)],
                "expectations": expectations,
                "anti_gaming": [sentence(rng)],
                "governance": {"last_reviewed": _ago(day, 30)},
            },
        )
    return by_level


def _composite(out: Path) -> None:
    dump(
        out / "rubrics" / "composite.yaml",
        "composite",
        depth=1,
        data={
            "advisory": True,
            "scale": {"min": 1, "max": 5},
            "components": [
                {"dimension": "delivery", "weight": 0.4},
                {"dimension": "reliability", "weight": 0.35},
                {"dimension": "collaboration", "weight": 0.25},
            ],
            "gates": [{"dimension": "reliability", "below": 2.5, "cap": 2.5, "reason": "Production harm is a gate."}],
            "minimum_coverage": 0.6,
            "explanation": "Weighted mean of ratings, capped by gates.",
        },
    )


def _packets(
    out: Path,
    count: int,
    level_ids: list[str],
    criteria: dict[str, list[str]],
    metric_ids: list[str],
    rng: random.Random,
    error_rate: float,
    day: date,
) -> int:
    errors = 0
    cycles = _cycles(day)
    for index in range(count):
        target_rank = rng.randint(2, len(level_ids))
        target, current = level_ids[target_rank - 1], level_ids[target_rank - 2]
        citable = [c for level in level_ids[:target_rank] for c in criteria[level]]
        evidence = []
        for number in range(rng.randint(3, 12)):
            evidence.append(
                {
                    "id": f"ev-{number}",
                    "title": sentence(rng, 6),
                    "kind": rng.choice(KINDS),
                    "link": f"https://git.example.com/org/repo/pull/{rng.randint(1, 99999)}",
                    "date": _ago(day, rng.randint(31, 365)),
                    "role": rng.choice(ROLES),
                    "criteria": rng.sample(citable, rng.randint(1, 3)),
                    "impact": sentence(rng, 12),
                    "invisible_work": rng.random() < 0.25,
                }
            )
        packet = {
            "candidate": f"Person {index:05d}",
            "visibility": "private",
            "cycle": rng.choice(cycles),
            "criteria_version": "1.0.0",
            "track": "ic",
            "current_level": current,
            "target_level": target,
            "summary": sentence(rng, 30),
            "evidence": evidence,
            "team_context": {
                "team": f"Team {index % 97}",
                "period": f"{day.year} H1",
                "metrics": [{"metric": rng.choice(metric_ids), "value": "3 per day"}],
            },
            "assessments": [
                {"reviewer": f"Reviewer {r}", "ratings": {d[0]: rng.randint(2, 5) for d in DIMENSIONS}}
                for r in range(3)
            ],
            "decision": _decision(rng, day),
        }
        if rng.random() < error_rate:
            errors += 1
            _break(packet, rng)
        cycle = packet["cycle"] if isinstance(packet["cycle"], str) else "misc"
        dump(out / "packets" / cycle / f"person-{index:05d}.yaml", "packet", packet, 2)
    return errors


def _decision(rng: random.Random, day: date) -> dict[str, str]:
    """Under review, or decided on a day after all its evidence (evidence is at least a month old)."""
    status = rng.choice(["submitted", "promoted", "not-yet"])
    return {"status": status} if status == "submitted" else {"status": status, "date": _ago(day, rng.randint(0, 30))}


def _break(packet: dict[str, Any], rng: random.Random) -> None:
    choice = rng.randrange(4)
    if choice == 0:
        packet["evidence"][0]["criteria"] = ["no-such-criterion"]
    elif choice == 1:
        packet["evidence"][0]["date"] = "2023-02-30"  # no such day in any year
    elif choice == 2:
        packet["salary"] = 100
    else:
        packet["target_level"] = packet["current_level"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--levels", type=int, default=6)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--packets", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--error-rate", type=float, default=0.01)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="The day packets are valid on.")
    args = parser.parse_args()
    print(generate(args.out, args.levels, args.metrics, args.packets, args.seed, args.error_rate, args.today))


if __name__ == "__main__":
    main()
