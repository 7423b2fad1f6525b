"""Evidence team signals: a packet points at a team figure's change between two quarters; the figures
are computed from the team's events, shown as team context, never this person's score."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import edit, invoke
from teamkit import deployment as dep
from teamkit import write_team

AMARA = "packets/examples/amara-okafor-senior.yaml"
POINTER = (
    "      team: checkout\n      metric: failed-deployment-recovery-time\n      from: 2026-Q3\n      to: 2026-Q4\n"
)
HOSTILE = "<script>alert('x')</script> *Tiny* [x](javascript:1)"


def _atlas(repo: Path, headcount: int = 6, name: str = "Atlas") -> None:
    """Known answer: 13 successful production deployments in 2026-Q1 (90 days: 13 ÷ 90/7 = 1.0111 per
    week), 26 in 2026-Q2 (91 days: 26 ÷ 13 = 2.0 per week), events from 2026-01-01 (13 weeks covered)."""
    week = timedelta(days=7)
    q1 = [date(2026, 1, 5) + k * week for k in range(13)]  # to 2026-03-30
    q2 = [start + k * week for start in (date(2026, 4, 1), date(2026, 4, 3)) for k in range(13)]  # to 06-26
    rows = [dep(f"a-{n}", f"{day}T10:00:00Z") for n, day in enumerate(q1 + q2)]
    write_team(repo, "atlas", name=name, headcount=headcount, events_from="2026-01-01", deployments=rows)


def _point(repo: Path, team: str, metric: str, start: str, end: str, extra: str = "") -> Path:
    packet = repo / AMARA
    edit(packet, POINTER, f"      team: {team}\n      metric: {metric}\n      from: {start}\n      to: {end}\n{extra}")
    return packet


def _at(packet: Path, text: str) -> str:
    """file:line:col of the value after `text` in the packet (the first line holding it)."""
    for number, line in enumerate(packet.read_text("utf-8").splitlines(), 1):
        if text in line:
            return f"{AMARA}:{number}:{line.index(text) + len(text) + 1}"
    raise AssertionError(text)


def test_known_answer_figures_in_every_readiness_format(repo: Path) -> None:
    _atlas(repo)
    edit(repo / AMARA, "  team: Checkout\n", "  team: Atlas\n")
    _point(repo, "atlas", "deployment-frequency", "2026-Q1", "2026-Q2")
    text = invoke("readiness", AMARA, cwd=repo)
    assert text.returncode == 0, text.stdout + text.stderr
    line = next(x for x in text.stdout.splitlines() if "evidence tracing-rollout" in x)
    assert line.startswith("Team context — not this person's score: evidence tracing-rollout points at Atlas (atlas)")
    assert "2026-Q1 1 per week (deployment-frequency v1 · 2026-Q1 · n = 13)" in line.replace("1.0 per", "1 per")
    assert "2026-Q2 2 per week (deployment-frequency v1 · 2026-Q2 · n = 26)" in line.replace("2.0 per", "2 per")
    assert "terrain: teams/atlas/team.yaml" in line
    markdown = invoke("readiness", AMARA, "--format", "markdown", cwd=repo).stdout
    assert "**Team context — not this person's score**: evidence `tracing-rollout`" in markdown
    data = json.loads(invoke("readiness", AMARA, "--format", "json", cwd=repo).stdout)
    [signal] = data["team_signals"]
    assert signal["status"] == "computed" and signal["scope"] == "team context: not this person's score"
    assert signal["before"]["value"] == pytest.approx(13 / (90 / 7)) and signal["before"]["n"] == 13
    assert signal["after"]["value"] == pytest.approx(2.0) and signal["after"]["n"] == 26
    assert signal["after"]["window"]["label"] == "2026-Q2" and signal["after"]["version"] == 1


def test_insufficient_data_is_said_not_shown(repo: Path) -> None:
    text = invoke("readiness", AMARA, cwd=repo).stdout
    _point(repo, "checkout", "failed-deployment-recovery-time", "2026-Q2", "2026-Q3")
    later = invoke("readiness", AMARA, cwd=repo).stdout
    assert "2026-Q4 (to 2026-11-28)" in text  # a running quarter ends with today, as on the team page
    assert "2026-Q2 insufficient data (n = 6; 4 of the 8 weeks needed covered)" in later


ATLAS = ("atlas", "deployment-frequency", "2026-Q1", "2026-Q2")
STATED = '      stated: {from: "1.0 per week", to: '


@pytest.mark.parametrize(
    ("pointer", "extra", "code", "anchor", "severity"),
    [
        (("nobody", *ATLAS[1:]), "", "[team-signal-team]", "      team: ", "error"),
        (("atlas", "lead-times", *ATLAS[2:]), "", "[team-signal-metric]", "      metric: ", "error"),
        (("atlas", "error-budget-burn", *ATLAS[2:]), "", "[team-signal-no-computation]", "      metric: ", "error"),
        (("atlas", "deployment-frequency", "2026-Q2", "2026-Q2"), "", "[team-signal-order]", "      to: ", "error"),
        (("atlas", "deployment-frequency", "2026-Q1", "2027-Q1"), "", "[team-signal-future]", "      to: ", "error"),
        (("atlas", "deployment-frequency", "2026-Q1", "2026-Q5"), "", "[schema-", "      to: ", "error"),
        (ATLAS, "", "[team-signal-other-team]", "      team: ", "warning"),
        (ATLAS, STATED + '"3 per week"}\n', "[team-signal-stated]", STATED, "warning"),
        (ATLAS, STATED + '"2 days"}\n', "[team-signal-stated]", STATED, "warning"),
        (ATLAS, "      lead_time_p50: 3\n", "[person-team-figure]", "      lead_time_p50", "error"),
    ],
)
def test_each_problem_is_positioned(
    repo: Path, pointer: tuple[str, str, str, str], extra: str, code: str, anchor: str, severity: str
) -> None:
    _atlas(repo)
    packet = _point(repo, *pointer, extra=extra)
    if code != "[team-signal-other-team]":
        edit(packet, "  team: Checkout\n", "  team: Atlas\n")
    result = invoke("validate", cwd=repo)
    assert "Traceback" not in result.stderr
    found = [x for x in (result.stdout + result.stderr).splitlines() if x.startswith(AMARA) and code in x]
    assert len(found) == 1, result.stdout + result.stderr
    place = _at(packet, anchor)
    if anchor == STATED:  # the flow mapping's `to` value, on that line
        line = packet.read_text("utf-8").splitlines()[int(place.split(":")[1]) - 1]
        place = f"{AMARA}:{place.split(':')[1]}:{line.index('to: ') + 5}"
    elif "lead_time" in extra:
        place = f"{AMARA}:{place.split(':')[1]}:7"  # the key itself
    assert found[0].startswith(f"{place}: {severity}:"), (place, found)
    assert result.returncode == (1 if severity == "error" else 0)


def test_stated_figures_that_agree_pass_and_hostile_text_stays_inert(repo: Path) -> None:
    _atlas(repo, name=HOSTILE)
    edit(repo / AMARA, "  team: Checkout\n", "  team: atlas\n")
    _point(
        repo,
        "atlas",
        "deployment-frequency",
        "2026-Q1",
        "2026-Q2",
        '      stated: {from: "1.0 per week", to: "2.0/wk"}\n',
    )
    ok = invoke("validate", cwd=repo)
    assert ok.returncode == 0 and "team-signal" not in ok.stdout + ok.stderr, ok.stdout + ok.stderr
    hostile = '      stated: {from: "1.0 per week", to: "\\e[31m9 <b>x</b>"}\n'
    edit(repo / AMARA, '      stated: {from: "1.0 per week", to: "2.0/wk"}\n', hostile)
    control = invoke("validate", cwd=repo).stdout
    assert "control character U+001B" in control and "[team-signal-stated]" not in control  # one mistake, one message
    markup = '      stated: {from: "1.0 per week", to: "9 <b>x</b> [a](javascript:1)"}\n'
    edit(repo / AMARA, hostile, markup)
    bad = invoke("validate", cwd=repo)
    [line] = [x for x in bad.stdout.splitlines() if "[team-signal-stated]" in x]
    assert bad.returncode == 0 and ": warning:" in line and "cannot be read as a value in per week" in line
    edit(repo / AMARA, markup, "")
    markdown = invoke("readiness", AMARA, "--format", "markdown", cwd=repo).stdout
    assert "<script>" not in markdown and "&#60;script&#62;" in markdown.replace("&lt;", "&#60;")


def test_without_teams_the_pointer_is_unverified(repo: Path) -> None:
    shutil.rmtree(repo / "teams")
    result = invoke("validate", cwd=repo)
    assert result.returncode == 0
    [warned] = [x for x in (result.stdout + result.stderr).splitlines() if "[team-signal-unverified]" in x]
    assert warned.startswith(f"{AMARA}:") and ": warning:" in warned and "no teams/ folder" in warned
    text = invoke("readiness", AMARA, cwd=repo).stdout
    assert "2026-Q3 → 2026-Q4: unverified pointer, no figures" in text and "n = " not in text.split("points at")[1]


def test_calibration_shows_team_context(repo: Path) -> None:
    private = repo / "packets/2026-h2/amara.yaml"
    private.parent.mkdir(parents=True, exist_ok=True)
    private.write_text((repo / AMARA).read_text("utf-8").replace("visibility: example", "visibility: private"))
    text = invoke("calibrate", "2026-h2", cwd=repo)
    assert text.returncode == 0, text.stdout + text.stderr
    assert "Team context — not this person's score: evidence tracing-rollout points at Checkout" in text.stdout
    assert "(failed-deployment-recovery-time v1 · 2026-Q3 · n = 16)" in text.stdout
    markdown = invoke("calibrate", "2026-h2", "--format", "markdown", cwd=repo).stdout
    assert "**Team context — not this person's score**" in markdown


def test_packet_pages_show_signals_and_small_teams_stay_internal(repo: Path, tmp_path: Path) -> None:
    _atlas(repo, headcount=2, name=HOSTILE)  # two people: nearly a person, internal only
    edit(
        repo / AMARA,
        "    impact: Both hires shipped production changes in their first month and now take on-call alone.\n",
        "    impact: Both hires shipped production changes in their first month and now take on-call alone.\n"
        "    team_signal: {team: atlas, metric: deployment-frequency, from: 2026-Q1, to: 2026-Q2}\n",
    )
    public, internal = tmp_path / "public", tmp_path / "internal"
    assert invoke("build", "--site-dir", str(public), cwd=repo).returncode == 0
    page = (public / "packets/amara-okafor-senior/index.html").read_text("utf-8")
    section = page.split('id="team-context-for-the-evidence"')[1].split("</table>")[0]
    assert "Team context — not this person" in section
    assert "6.1 h" in section and "7.4 h" in section and "n = 16" in section and "n = 11" in section
    assert 'href="../../teams/checkout/#terrain"' in section
    assert "mentoring-new-hires" not in section and "alert(" not in page and "Tiny" not in page
    assert invoke("build", "--include-private", "--site-dir", str(internal), cwd=repo).returncode == 0
    inside = (internal / "packets/amara-okafor-senior/index.html").read_text("utf-8")
    rows = inside.split('id="team-context-for-the-evidence"')[1].split("</table>")[0]
    assert "mentoring-new-hires" in rows and "<script>" not in rows and "&#60;script&#62;alert" in rows
    assert "n = 13" in rows and "n = 26" in rows


@pytest.mark.parametrize(
    ("start", "end", "key"),
    [("0000-Q1", "2026-Q2", "from"), ("2026-Q1", "9999-Q4", "to"), ("0000-Q4", "9999-Q4", "both")],
)
def test_a_quarter_outside_the_calendar_is_one_positioned_error(repo: Path, start: str, end: str, key: str) -> None:
    _atlas(repo)
    edit(repo / AMARA, "  team: Checkout\n", "  team: Atlas\n")
    packet = _point(repo, "atlas", "deployment-frequency", start, end)
    result = invoke("validate", cwd=repo)
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stdout + result.stderr
    found = [x for x in result.stdout.splitlines() if "[team-signal-quarter]" in x]
    keys = ("from", "to") if key == "both" else (key,)
    places = [f"{_at(packet, f'      {k}: ')}: error:" for k in keys]
    assert len(found) == len(keys) and all(any(x.startswith(p) for x in found) for p in places), found
    assert "is not a quarter the tool can compute" in found[0]
    assert not [x for x in result.stdout.splitlines() if AMARA in x and "team-signal" in x and x not in found]
    for command in (("readiness", AMARA), ("readiness", AMARA, "--format", "json")):
        shown = invoke(*command, cwd=repo)
        assert "Traceback" not in shown.stderr, shown.stderr


def test_the_first_quarter_of_the_calendar_computes(repo: Path) -> None:
    _atlas(repo)
    edit(repo / AMARA, "  team: Checkout\n", "  team: Atlas\n")
    _point(repo, "atlas", "deployment-frequency", "0001-Q1", "2026-Q2")
    result = invoke("readiness", AMARA, cwd=repo)
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stdout + result.stderr
    assert "insufficient data (n = 0" in result.stdout


@pytest.mark.parametrize(
    "pointer",
    [
        "{}",
        "{team: checkout, metric: failed-deployment-recovery-time}",
        "{team: checkout}",
        "{from: 2026-Q3}",
        "{team: ../x, metric: failed-deployment-recovery-time, from: 2026-Q3, to: 2026-Q4}",
        "{team: checkout, from: 2026-Q3, to: 2026-Q4, stated: {}}",
    ],
)
def test_missing_or_broken_keys_are_schema_errors_and_the_pointer_is_left_out(repo: Path, pointer: str) -> None:
    edit(repo / AMARA, "    team_signal:\n" + POINTER, f"    team_signal: {pointer}\n")
    result = invoke("validate", cwd=repo)
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stdout + result.stderr
    mine = [x for x in result.stdout.splitlines() if x.startswith(AMARA)]
    required = {"team", "metric", "from", "to"} - {k.split(":")[0] for k in pointer.strip("{}").split(", ") if k}
    missing = [x for x in mine if "[schema-required]" in x]
    assert len(missing) == len(required) + ("stated: {}" in pointer) * 2, mine
    assert all(f"has no {key} [" in " ".join(missing) for key in required), missing
    assert not [x for x in mine if "[team-signal" in x], mine  # one mistake, one message
    shown = invoke("readiness", AMARA, cwd=repo)
    assert "Traceback" not in shown.stderr, shown.stderr
    assert "tracing-rollout points at" not in shown.stdout and "(x)" not in shown.stdout


def test_an_optional_object_missing_several_keys_is_reported_not_crashed(repo: Path) -> None:
    edit(repo / AMARA, "team_context:\n  team: Checkout\n  period: 2026 Q3\n", "team_context:\n  metrics: []\n")
    result = invoke("validate", cwd=repo)
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stdout + result.stderr
    assert len([x for x in result.stdout.splitlines() if x.startswith(AMARA) and "[schema-required]" in x]) >= 1


def test_markdown_code_spans_show_ids_as_written(repo: Path) -> None:
    markdown = invoke("readiness", AMARA, "--format", "markdown", cwd=repo).stdout
    line = next(x for x in markdown.splitlines() if "Team context" in x)
    assert "evidence `tracing-rollout`" in line and "(`checkout`)" in line, line
    assert "`teams/checkout/team.yaml`" in line and "`teams/checkout.md`" in line and "&#" not in line.split("`")[1]


def _judgement(repo: Path, today: str) -> tuple[int, str, int]:
    """What judges the person: readiness's exit code and its report without the team context, and validate's exit."""
    shown = invoke("readiness", AMARA, "--format", "json", cwd=repo, env={"HANDBOOK_TODAY": today})
    data = json.loads(shown.stdout)
    judged = {key: value for key, value in data.items() if key not in ("team_signals", "problems")}
    errors = [p for p in data["problems"] if p["severity"] == "error"]
    return shown.returncode, json.dumps([judged, errors], sort_keys=True), invoke("validate", cwd=repo).returncode


@pytest.mark.parametrize("stated", ['{from: "6.1 h", to: "7.4 h"}', '{from: "6.1 h", to: "99 h"}'])
def test_stated_values_never_change_the_persons_judgement(repo: Path, stated: str) -> None:
    before = _judgement(repo, "2026-11-28")
    edit(repo / AMARA, POINTER, POINTER + f"      stated: {stated}\n")
    assert _judgement(repo, "2026-11-28") == before  # a value that disagrees: a warning, not a failure
    assert _judgement(repo, "2026-11-15")[0::2] == before[0::2]  # the running quarter has too few events yet
    events = repo / "teams/checkout/incidents.jsonl"
    assert events.is_file()
    incidents = [json.loads(line) for line in events.read_text("utf-8").splitlines()]
    for incident in incidents:  # every recovery takes two days longer
        if incident.get("resolved_at"):
            later = datetime.fromisoformat(incident["resolved_at"]) + timedelta(days=2)
            incident["resolved_at"] = later.isoformat().replace("+00:00", "Z")
    events.write_text("".join(json.dumps(i) + "\n" for i in incidents), "utf-8")  # the person's judgement stays
    assert _judgement(repo, "2026-11-28") == before
    warned = [x for x in invoke("validate", cwd=repo).stdout.splitlines() if "[team-signal-stated]" in x]
    assert warned and all(": warning:" in x for x in warned), warned


def test_a_stated_value_for_a_running_quarter_is_warned_whatever_it_says(repo: Path) -> None:
    packet = repo / AMARA
    edit(packet, POINTER, POINTER + '      stated: {from: "6.1 h", to: "7.4 h"}\n')  # 2026-Q4 runs to 2026-12-31
    result = invoke("validate", cwd=repo)
    [line] = [x for x in result.stdout.splitlines() if "[team-signal-stated]" in x]
    number = int(_at(packet, "      stated: ").split(":")[1])
    column = packet.read_text("utf-8").splitlines()[number - 1].index("to: ") + 5
    assert line.startswith(f"{AMARA}:{number}:{column}: warning:") and "2026-Q4 is still running" in line, line
    assert result.returncode == 0
    done = invoke("validate", cwd=repo, env={"HANDBOOK_TODAY": "2027-01-02"})
    assert "[team-signal-stated]" not in done.stdout and done.returncode == 0, done.stdout
