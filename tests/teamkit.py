"""Writing team folders for tests: team.yaml, event files and SLO counts from Python data."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SLO_YAML = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: {name}
  displayName: {title}
spec:
  service: {service}
  indicator:
    spec:
      ratioMetric:
        counter: true
        good: {{metricSource: {{type: handbook-csv, spec: {{column: good}}}}}}
        total: {{metricSource: {{type: handbook-csv, spec: {{column: total}}}}}}
  timeWindow:
    - duration: {duration}
      isRolling: true
  budgetingMethod: {method}
  objectives:
    - target: {target}{extra}
"""


def write_team(
    root: Path,
    team: str = "checkout",
    *,
    deployments: Iterable[dict[str, Any]] | None = None,
    incidents: Iterable[dict[str, Any]] | None = None,
    services: tuple[str, ...] = ("api",),
    headcount: int = 6,
    events_from: str | None = None,
    name: str | None = None,
) -> Path:
    folder = root / "teams" / team
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"name: {name or team.title()}",
        "owner: Engineering manager (role)",
        f"headcount: {headcount}",
        "services: [" + ", ".join(services) + "]",
    ]
    if events_from:
        lines.append(f'events_from: "{events_from}"')
    lines += ["terrain:", "  legacy_systems: [A payment gateway from 2011]"]
    (folder / "team.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    if deployments is not None:
        write_jsonl(folder / "deployments.jsonl", deployments)
    if incidents is not None:
        write_jsonl(folder / "incidents.jsonl", incidents)
    return folder


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")


def write_slo(
    folder: Path,
    name: str,
    rows: Iterable[tuple[str, int, int]],
    *,
    target: float = 0.99,
    duration: str = "28d",
    service: str = "api",
    method: str = "Occurrences",
    slice_target: float | None = None,
) -> None:
    slos = folder / "slos"
    slos.mkdir(exist_ok=True)
    (slos / f"{name}.yaml").write_text(
        SLO_YAML.format(
            name=name,
            title=name.title(),
            service=service,
            duration=duration,
            method=method,
            target=target,
            extra=f"\n      timeSliceTarget: {slice_target}\n      timeSliceWindow: 1d"
            if slice_target is not None
            else "",
        ),
        "utf-8",
    )
    (slos / f"{name}.csv").write_text("date,good,total\n" + "".join(f"{d},{g},{t}\n" for d, g, t in rows), "utf-8")


def deployment(
    ident: str,
    finished: str,
    result: str = "success",
    *,
    env: str = "production",
    changes: tuple[tuple[str, str], ...] = (),
    **extra: Any,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": ident,
        "service": "api",
        "environment": env,
        "finished_at": finished,
        "result": result,
        "changes": [{"id": c, "committed_at": t} for c, t in changes],
    }
    row.update(extra)
    return row


def incident(ident: str, started: str, resolved: str | None = None, caused_by: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": ident,
        "service": "api",
        "started_at": started,
        "severity": "sev2",
        "user_impact": "Checkout slow for some users",
        "caused_by": caused_by,
    }
    if resolved:
        row["resolved_at"] = resolved
    return row
