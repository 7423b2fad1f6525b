"""A small, independent, pure-Python reference for the team figures (the definitions in the README,
"Team figures"), written without looking at the SQL. Tests compare the DuckDB engine against it."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def p50(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def reference(
    deployments: list[dict[str, Any]],
    incidents: list[dict[str, Any]],
    start: date,
    end: date,
    production: tuple[str, ...] = ("production",),
) -> dict[str, Any]:
    """Figures for W = [start, end) (whole UTC days)."""
    w0 = datetime(start.year, start.month, start.day, tzinfo=UTC)
    w1 = datetime(end.year, end.month, end.day, tzinfo=UTC)
    days = (end - start).days

    def in_w(t: datetime) -> bool:
        return w0 <= t < w1

    prod = [d for d in deployments if d["environment"] in production]
    prod_w = [d for d in prod if in_w(ts(d["finished_at"]))]
    ok_w = [d for d in prod_w if d["result"] == "success"]

    blocks = [0] * -(-days // 7)
    active: dict[int, set[date]] = {}
    for d in ok_w:
        t = ts(d["finished_at"])
        active.setdefault(int((t - w0).total_seconds() // 604800), set()).add(t.date())
    for block, seen in active.items():
        blocks[block] = len(seen)

    first: dict[str, tuple[datetime, str, datetime]] = {}
    for d in prod:
        if d["result"] != "success":
            continue
        for c in d.get("changes", []):
            key = (ts(d["finished_at"]), d["id"])
            if c["id"] not in first or key < first[c["id"]][:2]:
                first[c["id"]] = (key[0], key[1], ts(c["committed_at"]))
    window_changes = {c["id"] for d in ok_w for c in d.get("changes", [])}
    leads = [(first[c][0] - first[c][2]).total_seconds() for c in window_changes]
    positive = [v for v in leads if v > 0]

    caused: dict[str, list[dict[str, Any]]] = {}
    for i in incidents:
        if i.get("caused_by"):
            caused.setdefault(i["caused_by"], []).append(i)
    failed_ids = []
    landed = [d for d in prod_w if d["result"] in ("success", "rolled_back")]
    recoveries: list[float] = []
    open_failures = 0
    for d in landed:
        t = ts(d["finished_at"])
        later = [r for r in deployments if ts(r["finished_at"]) > t]
        named = any(d["id"] in r.get("remediates", []) for r in later)
        if not (d["result"] == "rolled_back" or d["id"] in caused or named):
            continue
        failed_ids.append(d["id"])
        candidates = []
        if d.get("rolled_back_at"):
            candidates.append(ts(d["rolled_back_at"]))
        targets = {d["id"], *(i["id"] for i in caused.get(d["id"], []))}
        fixes = [
            ts(r["finished_at"]) for r in later if r["result"] == "success" and targets & set(r.get("remediates", []))
        ]
        if fixes:
            candidates.append(min(fixes))
        own = caused.get(d["id"], [])
        if own and all(i.get("resolved_at") for i in own):
            candidates.append(max(ts(i["resolved_at"]) for i in own))
        if candidates:
            recoveries.append((min(candidates) - t).total_seconds())
        else:
            open_failures += 1

    started = [i for i in incidents if in_w(ts(i["started_at"]))]
    restores = [(ts(i["resolved_at"]) - ts(i["started_at"])).total_seconds() for i in started if i.get("resolved_at")]
    rework = [d for d in ok_w if d.get("planned", True) is False and d.get("remediates")]
    return {
        "production": len(prod_w),
        "successful": len(ok_w),
        "not_deployed": sum(d["result"] == "failed" for d in prod_w),
        "per_week": len(ok_w) / (days / 7),
        "median_days_per_week": statistics.median(blocks),
        "lead_n": len(positive),
        "lead_excluded": len(leads) - len(positive),
        "lead_p50": p50(positive),
        "lead_p90": p90(positive),
        "landed": len(landed),
        "failures": len(failed_ids),
        "recovery_n": len(recoveries),
        "recovery_open": open_failures,
        "recovery_p50": p50(recoveries),
        "recovery_p90": p90(recoveries),
        "restore_n": len(restores),
        "restore_open": len(started) - len(restores),
        "restore_p50": p50(restores),
        "restore_p90": p90(restores),
        "rework": len(rework),
    }


def budget(rows: list[tuple[str, int, int]], start: date, end: date, target: float) -> dict[str, Any]:
    """Occurrences error budget over [start, end) from (date, good, total) rows."""
    inside = [(date.fromisoformat(d), g, t) for d, g, t in rows if start <= date.fromisoformat(d) < end]
    good, total = sum(g for _, g, _ in inside), sum(t for _, _, t in inside)
    last7 = [(g, t) for d, g, t in inside if d >= end - timedelta(days=7)]
    bad7, total7 = sum(t - g for g, t in last7), sum(t for _, t in last7)
    allowed = (1 - target) * total
    return {
        "attainment": good / total if total else None,
        "allowed_bad": allowed,
        "burned": (total - good) / allowed if allowed else None,
        "burn_rate_7d": (bad7 / total7) / (1 - target) if total7 else None,
        "days": len(inside),
    }
