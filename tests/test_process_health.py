"""Process-health aggregates from a fixture repository with real git history and known figures."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_content, invoke

IC2_CRITERIA = [
    "del-ic2-features",
    "del-ic2-estimates",
    "rel-ic2-oncall",
    "rel-ic2-observability",
    "col-ic2-reviews",
    "col-ic2-onboarding",
]


def packet(
    name: str,
    cycle: str,
    status: str,
    decided: str | None = None,
    ratings: tuple[int, ...] = (3, 3),
    full: bool = False,
    invisible: bool = False,
    appeal: str | None = None,
) -> str:
    criteria = IC2_CRITERIA if full else IC2_CRITERIA[:2]
    evidence = f"""  - id: first
    title: Secretmarker {name} first piece
    kind: pull-request
    link: https://example.com/{name}/1
    date: "2026-03-01"
    role: author
    criteria: [{", ".join(criteria)}]
    impact: Secretmarker impact of {name}.
    invisible_work: {"true" if invisible else "false"}
  - id: second
    title: Second piece
    kind: rfc
    link: https://example.com/{name}/2
    date: "2026-03-02"
    role: author
    criteria: [del-ic2-features]
    impact: Something.
"""
    assessments = "".join(
        f"  - reviewer: Reviewer {i}\n    ratings: {{delivery: {r}, reliability: {r}, collaboration: {r}}}\n"
        for i, r in enumerate(ratings)
    )
    decision = f"decision:\n  status: {status}\n" + (f'  date: "{decided}"\n' if decided else "")
    appeal_block = f'appeal:\n  filed: "2026-07-01"\n  status: {appeal}\n' if appeal else ""
    return (
        f"candidate: Secretmarker {name}\nvisibility: private\ncycle: {cycle}\ncriteria_version: 1.3.0\n"
        f"track: ic\ncurrent_level: ic1\ntarget_level: ic2\nsummary: Secretmarker summary {name}.\n"
        f"evidence:\n{evidence}assessments:\n{assessments}{decision}{appeal_block}"
    )


H1 = [  # name, status, submitted, decided, ratings, full coverage, invisible, appeal
    ("p1", "promoted", "2026-05-06", "2026-06-20", (3, 4), True, True, None),
    ("p2", "promoted", "2026-05-06", "2026-06-10", (3, 3), False, False, None),
    ("p3", "not-yet", "2026-05-11", "2026-06-15", (2, 4), False, False, "upheld"),
    ("p4", "not-yet", "2026-05-11", "2026-06-25", (3, 5), False, False, None),
    ("p5", "withdrawn", "2026-05-12", None, (3, 3), False, False, None),
    ("p6", "submitted", "2026-05-12", None, (4, 4), False, False, None),
    ("p7", "draft", "2026-05-12", None, (4, 4), False, False, None),
    ("p8", "promoted", "2026-05-12", "2026-06-30", (3, 3), False, False, None),
]
H2 = [
    ("q1", "promoted", "2026-11-03", "2026-11-10", (4, 4), True, False, None),
    ("q2", "promoted", "2026-11-03", "2026-11-25", (4, 4), True, False, None),
]


def commit(repo: Path, message: str, day: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": f"{day}T12:00:00",
        "GIT_COMMITTER_DATE": f"{day}T12:00:00",
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", message], cwd=repo, check=True, env=env)


pytestmark = pytest.mark.xdist_group("health-repository")  # its module-scoped fixture is built on one worker only


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = copy_content(tmp_path_factory.mktemp("health"))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    commit(repo, "handbook", "2026-01-01")
    for cycle, rows in (("2026-h1", H1), ("2026-h2", H2)):
        folder = repo / "packets" / cycle
        folder.mkdir(parents=True, exist_ok=True)
        for name, status, submitted, decided, ratings, full, invisible, appeal in rows:
            (folder / f"{name}.yaml").write_text(packet(name, cycle, "submitted"))
            commit(repo, f"packet {name}", submitted)
        for name, status, submitted, decided, ratings, full, invisible, appeal in rows:
            (folder / f"{name}.yaml").write_text(packet(name, cycle, status, decided, ratings, full, invisible, appeal))
        commit(repo, f"decisions {cycle}", "2026-11-26")
    return repo


def cells(figure: dict[str, Any]) -> list[tuple[str, float | None]]:  # parsed JSON
    return [(c["label"], c["value"]) for c in figure["cells"]]


def figures(cycle: dict[str, Any]) -> dict[str, dict[str, Any]]:  # parsed JSON
    return {f["id"]: f for f in cycle["figures"]}


def test_known_aggregates(repo: Path) -> None:
    result = invoke("stats", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stderr
    health = json.loads(result.stdout)
    h1, h2 = health["cycles"]
    assert h1["status"] == "published" and h1["packets"] == 7
    found = figures(h1)
    # 3 promoted, 2 not yet, 1 pending, 1 withdrawn: every count is under 5, so all are hidden
    assert cells(found["outcomes"]) == [("promoted", None), ("not yet", None), ("in review", None), ("withdrawn", None)]
    assert found["typical-days-to-decision"]["cells"][0]["value"] == 42  # mean of 35, 35, 45, 45, 49
    assert found["invisible-work"]["cells"][0]["value"] == 7  # 1 of 14 pieces of evidence
    assert cells(found["full-coverage"]) == [("full coverage", None), ("partial coverage", None)]  # 1 and 6
    spread = dict(cells(found["reviewer-spread"]))
    assert spread["Delivery: mean spread"] == 0.7 and spread["Delivery: mean variance"] == 0.3
    assert all(v is None for _, v in cells(found["days-to-decision"]))  # five in one bin: "all five" is hidden
    assert cells(found["appeals"]) == [("appealed", None), ("not appealed", None)]
    assert "appeal-outcomes" not in found
    assert h2["status"] == "open" and h2["figures"] == []  # closes 2026-12-11: nothing before it has closed


def test_public_page_only_from_the_committed_aggregates_file(repo: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert invoke("build", "--site-dir", str(site), cwd=repo).returncode == 0
    before = (site / "process-health" / "index.html").read_text()
    assert "No review cycle has been published yet" in before  # the public build never computes from packets
    shipped = (repo / "site_config/process-health.json").read_text()
    exported = invoke("stats", "--export", "site_config/process-health.json", cwd=repo)
    assert exported.returncode == 0, exported.stderr
    assert "1 newly closed cycle(s) added (2026-h1)" in exported.stdout
    try:
        result = invoke("build", "--site-dir", str(site), cwd=repo)
        assert result.returncode == 0, result.stderr
        text = " ".join((site / "process-health" / "index.html").read_text().split())
        assert "7 packets · closed 2026-06-12" in text and "Open until 2026-12-11" not in text
        assert "<td>suppressed</td>" in text and "Typical days from submission to decision</strong>: 42" in text
        for path in site.rglob("*"):
            if path.is_file():
                assert "secretmarker" not in path.read_bytes().decode("utf-8", "replace").lower(), path
    finally:
        (repo / "site_config/process-health.json").write_text(shipped)


@pytest.mark.parametrize("damage", ['"packets": 7', '"format": 1', '"kind": "counts"'])
def test_a_broken_aggregates_file_is_a_validation_error(repo: Path, damage: str) -> None:
    path = repo / "site_config/process-health.json"
    shipped = path.read_text()
    assert invoke("stats", "--export", "site_config/process-health.json", cwd=repo).returncode == 0
    try:
        path.write_text(path.read_text().replace(damage, damage.split(":")[0] + ': "seven"', 1))
        result = invoke("validate", cwd=repo)
        assert result.returncode == 1 and "site_config/process-health.json:" in result.stdout
        assert "Traceback" not in result.stderr
        assert invoke("build", cwd=repo).returncode == 1
    finally:
        path.write_text(shipped)


def test_minimum_group_size_is_configurable(repo: Path, tmp_path: Path) -> None:
    settings = repo / "site_config" / "handbook.yaml"
    original = settings.read_text()
    try:
        settings.write_text(
            original.replace(
                "  allowed_link_schemes: [https]", "  allowed_link_schemes: [https]\n  minimum_group_size: 2"
            )
        )
        health = json.loads(invoke("stats", "--format", "json", cwd=repo).stdout)
        assert cells(figures(health["cycles"][0])["outcomes"]) == [
            ("promoted", 3),
            ("not yet", 2),
            ("in review", None),
            ("withdrawn", None),
        ]
        later = json.loads(invoke("stats", "--format", "json", "--today", "2026-12-20", cwd=repo).stdout)
        assert later["cycles"][1]["status"] == "published" and later["cycles"][1]["packets"] == 2
    finally:
        settings.write_text(original)


def test_stats_text_names_open_and_suppressed_cycles(repo: Path) -> None:
    result = invoke("stats", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "Second half 2026 (2026-h2): open until 2026-12-11; published once it has closed" in result.stdout
    assert "First half 2026 (2026-h1): 7 packets" in result.stdout
    assert "Outcomes: promoted suppressed" in result.stdout
