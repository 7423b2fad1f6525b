"""Process-health aggregates from a fixture repository with real git history and known figures."""

import json
import os
import subprocess

import pytest
from conftest import copy_content, run_cli

IC2_CRITERIA = ["del-ic2-features", "del-ic2-estimates", "rel-ic2-oncall", "rel-ic2-observability",
                "col-ic2-reviews", "col-ic2-onboarding"]


def packet(name, cycle, status, decided=None, ratings=(3, 3), full=False, invisible=False, appeal=None):
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
    assessments = "".join(f"  - reviewer: Reviewer {i}\n    ratings: {{delivery: {r}, reliability: {r}, collaboration: {r}}}\n"
                          for i, r in enumerate(ratings))
    decision = f"decision:\n  status: {status}\n" + (f'  date: "{decided}"\n' if decided else "")
    appeal_block = f'appeal:\n  filed: "2026-07-01"\n  status: {appeal}\n' if appeal else ""
    return (f"candidate: Secretmarker {name}\nvisibility: private\ncycle: {cycle}\ncriteria_version: 1.2.0\n"
            f"track: ic\ncurrent_level: ic1\ntarget_level: ic2\nsummary: Secretmarker summary {name}.\n"
            f"evidence:\n{evidence}assessments:\n{assessments}{decision}{appeal_block}")


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


def commit(repo, message, day):
    env = {**os.environ, "GIT_AUTHOR_DATE": f"{day}T12:00:00", "GIT_COMMITTER_DATE": f"{day}T12:00:00",
           "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", message], cwd=repo, check=True, env=env)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
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


def test_known_aggregates(repo):
    result = run_cli("stats", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stderr
    health = json.loads(result.stdout)
    h1, h2 = health["cycles"]
    assert (h1["submitted"], h1["decided"], h1["pending"], h1["withdrawn"], h1["promoted"], h1["not_yet"]) == \
        (7, 5, 1, 1, 3, 2)
    assert h1["median_days_to_decision"] == 45  # 35, 35, 45, 45, 49
    assert h1["invisible_share"] == pytest.approx(1 / 14)
    assert h1["full_coverage_share"] == pytest.approx(1 / 7)
    delivery = next(s for s in h1["spreads"] if s["dimension"] == "delivery")
    assert delivery["mean_spread"] == pytest.approx(5 / 7) and delivery["mean_variance"] == pytest.approx(2.25 / 7)
    assert h2["suppressed"] is True and h2["submitted"] is None
    assert [(b["label"], b["count"]) for b in health["days_histogram"]] == [
        ("under 2 weeks", 1), ("2–4 weeks", 1), ("4–8 weeks", 5), ("8–16 weeks", 0), ("16 weeks or more", 0)]
    assert health["decisions_timed"] == 7
    assert health["appeals_filed"] == 1 and health["appeal_outcomes"] == []


def test_page_shows_aggregates_only(repo):
    result = run_cli("build", cwd=repo)
    assert result.returncode == 0, result.stderr
    html = (repo / "site" / "process-health" / "index.html").read_text()
    text = " ".join(html.split())
    assert "<td>First half 2026</td> <td>7</td> <td>5</td> <td>1</td> <td>1</td> <td>3</td> <td>2</td> <td>45</td>" in text
    assert "fewer than 5 packets: suppressed" in text
    assert "<svg" in html and "1 appeal filed." in text
    assert "Outcomes are suppressed while fewer than 5 appeals" in text
    for path in (repo / "site").rglob("*"):
        if path.is_file():
            assert "secretmarker" not in path.read_bytes().decode("utf-8", "replace").lower(), path


def test_too_few_decisions_suppress_the_median(repo):
    from generator.process_health import process_health
    from generator.validate import validate_repository
    hb = validate_repository(repo).handbook
    h1 = process_health(hb, {}, minimum_group=5).cycles[0]
    assert h1.submitted == 7 and h1.median_days_to_decision is None  # no submission dates: nothing timed


def test_minimum_group_size_is_configurable(repo, tmp_path):
    settings = repo / "site_config" / "handbook.yaml"
    original = settings.read_text()
    try:
        settings.write_text(original.replace("  allowed_link_schemes: [https]", "  allowed_link_schemes: [https]\n"
                                             "  minimum_group_size: 2"))
        health = json.loads(run_cli("stats", "--format", "json", cwd=repo).stdout)
        assert health["cycles"][1]["submitted"] == 2 and health["cycles"][1]["suppressed"] is False
    finally:
        settings.write_text(original)
