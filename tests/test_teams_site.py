"""Team pages and the teams CLI, on real builds and real commands."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import edit, invoke
from teamkit import deployment as dep
from teamkit import write_team


def _small_team(repo: Path) -> None:
    write_team(repo, "atlas", name="Atlas", headcount=2, deployments=[dep("a1", "2026-11-02T10:00:00Z")], incidents=[])


def test_build_has_team_pages_alphabetical_and_humble(repo: Path, tmp_path: Path) -> None:
    write_team(repo, "zebra", name="Zebra platform", headcount=9, deployments=[dep("z1", "2026-11-02T10:00:00Z")])
    _small_team(repo)
    site = tmp_path / "site"
    result = invoke("build", "--site-dir", str(site), cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    index = (site / "teams/index.html").read_text("utf-8")
    assert index.index("Checkout") < index.index("Zebra platform")  # alphabetical, whatever the figures
    assert "never ranked" in index and "Atlas" not in index  # two people: internal site only
    assert not (site / "teams/atlas/index.html").exists()
    page = (site / "teams/checkout/index.html").read_text("utf-8")
    assert "Team context, not anyone" in page
    assert "deployment-frequency</a> · v1 · last 90 days · n = " in page  # the stamp, linked to the catalogue
    assert "Band (2023)" in page and "DORA, Accelerate State of DevOps Report 2023" in page
    svg = re.findall(r"<svg[^>]*role=\"img\".*?</svg>", page, re.S)
    assert len(svg) == 6 and all("<title>" in s and "/wk" in svg[0] for s in svg)
    assert "n/a" in svg[0]  # a quarter without enough data: an empty bar, said in words
    zebra = (site / "teams/zebra/index.html").read_text("utf-8")
    assert zebra.count("insufficient data (n = ") >= 5 and "elite" not in zebra


def test_a_build_reads_and_checks_teams_once(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Validate, the team pages and the evidence team signals share one reading of teams/ (a build
    used to check every event file four times)."""
    from generator.check import teams as team_checks
    from generator.compute import teams
    from generator.load.cache import ResultCache

    write_team(repo, "zebra", name="Zebra platform", headcount=9, deployments=[dep("z1", "2026-11-02T10:00:00Z")])
    read: list[Path] = []
    real = teams.read_team_folder

    def counted(root: Path, cache: ResultCache | None = None) -> teams.TeamFolder:
        read.append(root)
        return real(root, cache)

    monkeypatch.setattr(teams, "read_team_folder", counted)
    heads: list[str] = []  # each team folder's files, checked (whoever calls the check)
    real_head = team_checks._team_head

    def counted_head(folder: Path, *args: Any) -> Any:
        heads.append(folder.name)
        return real_head(folder, *args)

    monkeypatch.setattr(team_checks, "_team_head", counted_head)
    result = invoke("build", "--site-dir", str(tmp_path / "site"), cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert read == [repo]
    assert sorted(heads) == ["checkout", "zebra"]
    assert (tmp_path / "site/teams/zebra/index.html").is_file()
    packet = (tmp_path / "site/packets/amara-okafor-senior/index.html").read_text("utf-8")
    assert "failed-deployment-recovery-time" in packet and "not this person" in packet


def test_internal_build_shows_small_teams(repo: Path, tmp_path: Path) -> None:
    _small_team(repo)
    site = tmp_path / "internal"
    result = invoke("build", "--include-private", "--site-dir", str(site), cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "internal site only" in (site / "teams/atlas/index.html").read_text("utf-8")


def test_no_teams_folder_no_pages_no_claims(repo: Path, tmp_path: Path) -> None:
    shutil.rmtree(repo / "teams")
    site = tmp_path / "site"
    assert invoke("build", "--site-dir", str(site), cwd=repo).returncode == 0
    assert not (site / "teams").exists()
    assert "Teams" not in (site / "index.html").read_text("utf-8").split("md-nav")[1]
    result = invoke("teams", cwd=repo)
    assert result.returncode == 0 and "No team figures" in result.stdout


def test_teams_cli_formats(repo: Path) -> None:
    text = invoke("teams", cwd=repo)
    assert text.returncode == 0, text.stderr
    assert "Checkout (checkout)" in text.stdout and "never a person's score" in text.stdout
    data = json.loads(invoke("teams", "--format", "json", cwd=repo).stdout)
    [team] = data
    assert team["scope"] == "team signal: never a person's score"
    frequency = team["figures"][0]
    assert frequency["metric"] == "deployment-frequency" and frequency["definition_version"] == 1
    assert frequency["window"] == {"label": "last 90 days", "start": "2026-08-31", "end_exclusive": "2026-11-29"}
    quarter = json.loads(invoke("teams", "--period", "2026-Q3", "--format", "json", cwd=repo).stdout)[0]
    assert quarter["window"]["label"] == "2026-Q3"
    markdown = invoke("teams", "show", "checkout", "--format", "markdown", cwd=repo)
    assert markdown.returncode == 0 and "| Deployment frequency |" in markdown.stdout


def test_teams_cli_errors_are_one_line(repo: Path) -> None:
    bad = invoke("teams", "--period", "2026-Q5", cwd=repo)
    assert bad.returncode == 2 and "YYYY-Qn" in bad.stderr
    missing = invoke("teams", "show", "nobody", cwd=repo)
    assert missing.returncode == 1 and "no team 'nobody'" in missing.stderr and "Traceback" not in missing.stderr
    edit(repo / "teams/checkout/incidents.jsonl", '"sev2"', '"sev2", "reporter": "x"')
    broken = invoke("teams", cwd=repo)
    assert broken.returncode == 1 and "teams/checkout/incidents.jsonl:" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_budget_exhausted_guidance_says_invest_in_reliability(repo: Path) -> None:
    counts = repo / "teams/checkout/slos/availability.csv"
    rows = counts.read_text("utf-8").splitlines()
    worse = [rows[0]] + [f"{d},{int(t) - int(t) // 100},{t}" for d, g, t in (r.split(",") for r in rows[1:])]
    counts.write_text("\n".join(worse) + "\n", "utf-8")
    shown = invoke("teams", "show", "checkout", cwd=repo).stdout
    assert "budget burned 1000%" in shown.replace(",", "")
    assert "Invest in reliability" in shown and "reduce each change's blast radius" in shown
    assert "Do not ask people to work harder" in shown


def test_team_events_never_move_a_packet(repo: Path) -> None:
    signals: list[str] = []

    def readiness() -> list[str]:
        """Every packet's readiness without its team context (evidence team signals, and the problems
        that only say a pointer cannot be verified): coverage, composite, verdict, judgement."""
        outputs = []
        for packet in sorted((repo / "packets").rglob("*.yaml")):
            result = json.loads(invoke("readiness", str(packet), "--format", "json", cwd=repo).stdout)
            signals.append(json.dumps(result.pop("team_signals")))
            result["problems"] = [p for p in result["problems"] if not p["code"].startswith("team-signal")]
            outputs.append(json.dumps(result, sort_keys=True))
        return outputs

    pointed = repo / "packets/examples/amara-okafor-senior.yaml"
    private = repo / "packets/2026-h2/pointing.yaml"  # a private packet pointing at two team signals
    private.parent.mkdir(parents=True, exist_ok=True)
    private.write_text(
        pointed.read_text("utf-8")
        .replace("visibility: example", "visibility: private")
        .replace(
            "    invisible_work: true\n  - id: oncall-handbook",
            "    invisible_work: true\n    team_signal: {team: checkout, metric: change-failure-rate, "
            "from: 2026-Q3, to: 2026-Q4}\n  - id: oncall-handbook",
        ),
        "utf-8",
    )
    before, figures = readiness(), invoke("teams", "--format", "json", cwd=repo).stdout
    assert len(before) >= 4 and all("target_level" in json.loads(o)["packet"] for o in before)
    with_signals = [s for s in signals if s != "[]"]
    assert len(with_signals) == 2 and all('"status": "computed"' in s for s in with_signals)
    signals.clear()
    events = repo / "teams/checkout/deployments.jsonl"
    lines = events.read_text("utf-8").splitlines()
    events.write_text(
        "\n".join(line.replace('"success"', '"rolled_back"') if n % 2 else line for n, line in enumerate(lines)) + "\n",
        "utf-8",
    )
    moved = invoke("teams", "--format", "json", cwd=repo)
    assert moved.returncode == 0 and moved.stdout != figures  # the team's figures did move
    assert readiness() == before  # composite, coverage and verdict of every packet did not
    assert [s for s in signals if s != "[]"] != with_signals  # while the team context beside them did
    signals.clear()
    shutil.rmtree(repo / "teams")
    assert readiness() == before
    assert all('"status": "unverified"' in s for s in signals if s != "[]")


def test_a_chosen_quarter_gives_the_figures_its_trend_entry_gives(repo: Path) -> None:
    """The chosen quarter is also a quarter of its own trend: asked for twice, it must be counted once."""
    default = json.loads(invoke("teams", "--format", "json", cwd=repo).stdout)[0]
    quarters = [entry for entry in default["trend"] if not entry["window"]["label"].endswith(")")]
    assert any(f["n"] for entry in quarters for f in entry["figures"]), "the sample has events in its trend"
    for entry in quarters:
        label = entry["window"]["label"]
        chosen = json.loads(invoke("teams", "--period", label, "--format", "json", cwd=repo).stdout)[0]
        assert [(f["metric"], f["n"], f["value"], f["p90"]) for f in chosen["figures"]] == [
            (f["metric"], f["n"], f["value"], f["p90"]) for f in entry["figures"]
        ], label
        for mine in chosen["trend"]:
            if mine["window"]["label"] == label:
                assert mine["figures"] == chosen["figures"]
