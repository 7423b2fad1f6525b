"""Synthetic team events: realistic shapes (weekday-heavy deployments, changes committed hours to
days before, rollbacks, hotfixes that remediate, incidents some deployments cause, daily SLO counts).

Used by the teams benchmark (into /tmp) and to make the default handbook's sample team."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

IMPACTS = (
    "Card payments failed for some customers",
    "Checkout pages slow (p95 above 3 s)",
    "Order confirmation e-mails delayed",
    "Promotions not applied at checkout",
    "Saved addresses not shown",
    "Tax computed wrongly for one region",
    "Basket emptied after sign-in",
)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate_team(
    folder: Path,
    team: str,
    *,
    name: str,
    start: date,
    end: date,
    per_day: float,
    seed: int,
    services: tuple[str, ...] = ("checkout-api", "checkout-web"),
    headcount: int = 7,
    incident_share: float = 0.1,
    slos: tuple[tuple[str, float], ...] = (("availability", 0.999),),
    terrain: str = "",
) -> tuple[int, int]:
    """Write teams/<team>/ under folder; returns (deployments, incidents) written."""
    rng = random.Random(seed)
    base = folder / "teams" / team
    (base / "slos").mkdir(parents=True, exist_ok=True)
    (base / "team.yaml").write_text(
        "# yaml-language-server: $schema=../../generator/check/schemas/team.schema.json\n"
        f"name: {name}\nowner: {name} engineering manager (role)\nheadcount: {headcount}\n"
        f'services: [{", ".join(services)}]\nevents_from: "{start.isoformat()}"\n' + terrain,
        "utf-8",
    )
    deployments: list[str] = []
    incidents: list[str] = []
    pending_failures: list[tuple[str, datetime]] = []
    change = 0
    day = start
    number = 0
    while day < end:
        weekday = day.weekday() < 5
        count = _poisson(rng, per_day * (1.3 if weekday else 0.2))
        for moment in sorted(
            datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=rng.randint(8 * 60, 19 * 60))
            for _ in range(count)
        ):
            number += 1
            ident = f"{team}-{number}"
            service = rng.choice(services)
            environment = "production" if rng.random() < 0.85 else "staging"
            roll = rng.random()
            result = "failed" if roll < 0.03 else "rolled_back" if roll < 0.06 else "success"
            changes = []
            for _ in range(rng.randint(1, 4)):
                change += 1
                hours = rng.lognormvariate(2.5, 1.1)
                changes.append({"id": f"{team}-c{change}", "committed_at": _stamp(moment - timedelta(hours=hours))})
            row: dict[str, Any] = {
                "id": ident,
                "service": service,
                "environment": environment,
                "finished_at": _stamp(moment),
                "result": result,
                "changes": changes,
            }
            if result == "rolled_back":
                row["rolled_back_at"] = _stamp(moment + timedelta(minutes=rng.randint(4, 90)))
            if (
                pending_failures
                and pending_failures[0][1] < moment
                and environment == "production"
                and result == "success"
                and rng.random() < 0.5
            ):
                target, _ = pending_failures.pop(0)
                row["planned"] = False
                row["remediates"] = [target]
            row["url"] = f"https://ci.northwind.example/{team}/deployments/{number}"
            deployments.append(json.dumps(row))
            if environment == "production" and result == "success" and rng.random() < incident_share:
                started = moment + timedelta(minutes=rng.randint(5, 600))
                incident_id = f"{team}-inc-{len(incidents) + 1}"
                item = {
                    "id": incident_id,
                    "service": service,
                    "started_at": _stamp(started),
                    "severity": rng.choice(("sev1", "sev2", "sev2", "sev3", "sev3", "sev3")),
                    "user_impact": rng.choice(IMPACTS),
                    "caused_by": ident if rng.random() < 0.7 else None,
                }
                if started + timedelta(hours=6) < datetime(end.year, end.month, end.day, tzinfo=UTC):
                    item["resolved_at"] = _stamp(started + timedelta(minutes=int(rng.lognormvariate(4.0, 1.0)) + 1))
                if item["severity"] != "sev3":
                    item["postmortem"] = f"https://wiki.northwind.example/postmortems/{incident_id}"
                incidents.append(json.dumps(item))
                pending_failures.append((incident_id if rng.random() < 0.5 else ident, started))
        day += timedelta(days=1)
    (base / "deployments.jsonl").write_text("\n".join(deployments) + "\n", "utf-8")
    (base / "incidents.jsonl").write_text("\n".join(incidents) + ("\n" if incidents else ""), "utf-8")
    for slo, objective in slos:
        _write_slo(base / "slos", slo, objective, services[0], start, end, rng)
    return len(deployments), len(incidents)


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def _write_slo(
    folder: Path, name: str, target: float, service: str, start: date, end: date, rng: random.Random
) -> None:
    (folder / f"{name}.yaml").write_text(
        "# yaml-language-server: $schema=../../../generator/check/schemas/slo.schema.json\n"
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n"
        f"  name: {name}\n  displayName: {service} {name}\nspec:\n"
        f"  description: Share of {service} requests answered without a server error.\n"
        f"  service: {service}\n  indicator:\n    metadata:\n      name: {service}-good-requests\n"
        "    spec:\n      ratioMetric:\n        counter: true\n"
        "        good: {metricSource: {type: handbook-csv, spec: {column: good}}}\n"
        "        total: {metricSource: {type: handbook-csv, spec: {column: total}}}\n"
        "  timeWindow:\n    - duration: 28d\n      isRolling: true\n  budgetingMethod: Occurrences\n"
        f"  objectives:\n    - displayName: {target:.1%} of requests succeed\n      target: {target}\n",
        "utf-8",
    )
    rows = ["date,good,total"]
    day = start
    while day < end:
        total = int(rng.gauss(180_000 if day.weekday() < 5 else 90_000, 15_000))
        bad_share = (1 - target) * rng.lognormvariate(-0.6, 0.9)
        bad = min(total, int(total * bad_share))
        rows.append(f"{day.isoformat()},{total - bad},{total}")
        day += timedelta(days=1)
    (folder / f"{name}.csv").write_text("\n".join(rows) + "\n", "utf-8")
