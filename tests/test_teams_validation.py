"""Team files are validated like everything else: positioned errors, never a traceback."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from conftest import edit, invoke
from teamkit import deployment as dep
from teamkit import incident as inc
from teamkit import write_slo, write_team

from generator.check.teams import TeamSettings, check_teams

GOOD = [
    dep("d1", "2026-09-01T10:00:00Z", changes=(("c1", "2026-09-01T08:00:00Z"),)),
    dep("d2", "2026-09-02T10:00:00Z", planned=False, remediates=["d1"]),
]


def _problems(root: Path) -> list[str]:
    report = check_teams(root, TeamSettings())
    return [f"{d.file}:{d.line}:{d.column}: {d.severity}: {d.code}: {d.message}" for d in report.diagnostics]


def _lines(folder: Path, name: str, *lines: str) -> None:
    (folder / name).write_text("".join(line + "\n" for line in lines), "utf-8")


def test_clean_team_has_no_problems(tmp_path: Path) -> None:
    write_team(tmp_path, deployments=GOOD, incidents=[inc("i1", "2026-09-01T11:00:00Z", "2026-09-01T12:00:00Z", "d1")])
    assert _problems(tmp_path) == []


def test_truncated_line_is_positioned(tmp_path: Path) -> None:
    folder = write_team(tmp_path)
    _lines(folder, "deployments.jsonl", json.dumps(GOOD[0]), json.dumps(GOOD[1])[:40])
    [problem] = _problems(tmp_path)
    assert problem.startswith("teams/checkout/deployments.jsonl:2:41: error: json-syntax:")
    assert "truncated" in problem


def test_wrong_types_point_at_the_key(tmp_path: Path) -> None:
    folder = write_team(tmp_path)
    row = dict(GOOD[0], planned="yes", finished_at="yesterday")
    _lines(folder, "deployments.jsonl", json.dumps(GOOD[1] | {"remediates": []}), json.dumps(row))
    problems = _problems(tmp_path)
    line = json.dumps(row)
    planned, finished = line.index('"planned"') + 1, line.index('"finished_at"') + 1
    assert any(p.startswith(f"teams/checkout/deployments.jsonl:2:{planned}: error: schema-type") for p in problems), (
        problems
    )
    assert any(f":2:{finished}: error: schema-pattern" in p for p in problems), problems


def test_a_field_naming_a_person_is_refused(tmp_path: Path) -> None:
    folder = write_team(tmp_path)
    row = dict(GOOD[0], author="Ada Lovelace")
    _lines(folder, "deployments.jsonl", json.dumps(row))
    [problem] = _problems(tmp_path)
    column = json.dumps(row).index('"author"') + 1
    assert f":1:{column}: error: names-a-person:" in problem


def test_person_like_values_are_refused(tmp_path: Path) -> None:
    write_team(
        tmp_path,
        deployments=GOOD,
        incidents=[
            dict(inc("i1", "2026-09-01T11:00:00Z"), user_impact="Paged @jdoe, then ada@example.com"),
            dict(inc("i2", "2026-09-01T11:00:00Z"), user_impact="Card payments failed for 4% of users"),
        ],
    )
    [problem] = _problems(tmp_path)
    assert "incidents.jsonl:1:" in problem and "person-like-value" in problem and "@jdoe" in problem


def test_person_like_texts_in_team_files_are_refused_where_they_are(tmp_path: Path) -> None:
    folder = write_team(tmp_path, deployments=GOOD)
    team = folder / "team.yaml"
    clean = team.read_text("utf-8")
    team.write_text(clean + "  notes:\n    - Ask ada@example.com about the gateway\n", "utf-8")
    write_slo(folder, "availability", [("2026-09-01", 10, 10)])
    line = team.read_text("utf-8").splitlines().index("    - Ask ada@example.com about the gateway") + 1
    assert _problems(tmp_path) == [
        f"teams/checkout/team.yaml:{line}:7: error: person-like-value: 'notes' holds 'ada@example.com', "
        "which looks like an e-mail address or an @handle: team files never name a person; name a group or a "
        "role, or describe the system instead",
    ]
    team.write_text(clean, "utf-8")
    slo = folder / "slos" / "availability.yaml"
    slo.write_text(
        slo.read_text("utf-8").replace("  service: api\n", "  service: api\n  description: Owned by @jdoe\n")
    )
    line = slo.read_text("utf-8").splitlines().index("  description: Owned by @jdoe") + 1
    assert _problems(tmp_path) == [
        f"teams/checkout/slos/availability.yaml:{line}:16: error: person-like-value: 'description' holds "
        "'@jdoe', which looks like an e-mail address or an @handle: team files never name a person; name a group "
        "or a role, or describe the system instead",
    ]


def test_rules_across_events(tmp_path: Path) -> None:
    write_team(
        tmp_path,
        deployments=[
            *GOOD,
            dep("d1", "2026-09-03T10:00:00Z"),  # duplicate id
            dep("d3", "2026-09-03T10:00:00Z", remediates=["nowhere"]),
            dict(dep("d4", "2026-09-03T10:00:00Z"), service="billing"),
            dep("d5", "2026-09-03T10:00:00Z", "rolled_back", rolled_back_at="2026-09-03T09:00:00Z"),
        ],
        incidents=[
            inc("i1", "2026-09-02T10:00:00Z", "2026-09-02T09:00:00Z"),
            inc("i2", "2026-09-02T10:00:00Z", caused_by="d9"),
        ],
    )
    codes = [p.split(": ")[2] for p in _problems(tmp_path)]
    assert sorted(codes) == sorted(
        ["duplicate-id", "unknown-reference", "unknown-service", "time-order", "time-order", "unknown-reference"]
    )


def test_slo_counts_rows_and_columns(tmp_path: Path) -> None:
    folder = write_team(tmp_path)
    write_slo(
        folder,
        "availability",
        [("2026-09-01", 10, 9), ("2026-09-02", 5, 5), ("2026-09-05", 5, 5), ("2026-09-0x", 1, 1)],
    )
    problems = _problems(tmp_path)
    assert any(p.startswith("teams/checkout/slos/availability.csv:2:2: error: good-above-total") for p in problems), (
        problems
    )
    assert any(p.startswith("teams/checkout/slos/availability.csv:5:1: error: csv-value") for p in problems), problems
    assert any("warning: coverage-gap" in p and "2026-09-03 to 2026-09-04" in p for p in problems), problems


def test_a_week_date_is_not_a_day_of_counts(tmp_path: Path) -> None:
    write_slo(write_team(tmp_path), "availability", [("2026-09-01", 1, 1), ("2026-W36-3", 1, 1), ("20260904", 1, 1)])
    problems = _problems(tmp_path)
    assert [p.split(": warning")[0] for p in problems if ": error: " in p] == [
        "teams/checkout/slos/availability.csv:3:1: error: csv-value: '2026-W36-3' is not a date (YYYY-MM-DD)",
        "teams/checkout/slos/availability.csv:4:1: error: csv-value: '20260904' is not a date (YYYY-MM-DD)",
    ]


def test_csv_deployments_are_read_and_positioned(tmp_path: Path) -> None:
    folder = write_team(tmp_path)
    _lines(
        folder,
        "deployments.csv",
        "id,service,environment,finished_at,result,changes,planned,remediates",
        "d1,api,production,2026-09-01T10:00:00Z,success,c1@2026-09-01T08:00:00Z,,",
        "d2,api,production,2026-09-02T10:00:00Z,success,,maybe,d1",
    )
    [problem] = _problems(tmp_path)
    assert problem.startswith("teams/checkout/deployments.csv:3:7: error: csv-value: column 'planned'")


def test_a_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    folder = write_team(tmp_path)
    with open(folder / "deployments.jsonl", "wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: 2 GB on paper, nothing on disk
    [problem] = _problems(tmp_path)
    assert "error: file-too-large: file is 2,147,483,648 bytes" in problem


def test_binary_garbage_gives_errors_not_a_traceback(tmp_path: Path) -> None:
    folder = write_team(tmp_path)
    (folder / "incidents.jsonl").write_bytes(os.urandom(2000) + b'\n[1]\n"x"\n')
    problems = _problems(tmp_path)
    assert problems and all(": error: " in p for p in problems)


def test_validate_reports_team_problems_and_computations(repo: Path) -> None:
    assert invoke("validate", cwd=repo).returncode == 0
    edit(repo / "rubrics/metrics/change-lead-time.yaml", "  version: 1", "  version: 7")
    lines = repo / "teams/checkout/incidents.jsonl"
    lines.write_text(lines.read_text("utf-8").replace('"sev2"', '"sev2", "assignee": "Ada"', 1), "utf-8")
    result = invoke("validate", cwd=repo)
    assert result.returncode == 1
    assert "rubrics/metrics/change-lead-time.yaml:" in result.stdout and "computation-version" in result.stdout
    assert "teams/checkout/incidents.jsonl:" in result.stdout and "names-a-person" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_packet_stating_a_team_figure_as_its_own_is_an_error(repo: Path) -> None:
    packet = repo / "packets/examples/jonas-berg-staff.yaml"
    edit(packet, "team_context:", "lead_time_p50: 0.8 days\nteam_context:")
    result = invoke("validate", cwd=repo)
    assert result.returncode == 1
    [line] = [text for text in result.stdout.splitlines() if "jonas-berg-staff.yaml" in text and "error" in text]
    assert "person-team-figure" in line or "states a team signal" in line, result.stdout


def test_unchanged_clean_teams_are_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.check import teams as module
    from generator.load.cache import ResultCache

    folder = write_team(tmp_path, deployments=GOOD, incidents=[])
    cache = ResultCache(tmp_path / "cache")
    first = check_teams(tmp_path, TeamSettings(), cache=cache)
    assert not first.diagnostics

    def refuse(*args: object) -> None:
        raise AssertionError("read again")

    monkeypatch.setattr(module, "_check_events", refuse)
    again = check_teams(tmp_path, TeamSettings(), cache=cache)
    assert again.teams == first.teams and again.files_checked == first.files_checked
    monkeypatch.undo()
    _lines(folder, "deployments.jsonl", json.dumps(GOOD[0]), json.dumps(GOOD[1])[:30])  # a changed file is read again
    assert [d.code for d in check_teams(tmp_path, TeamSettings(), cache=cache).errors] == ["json-syntax"]


# Timestamps the pattern lets through that name no real instant, or one a computer cannot hold in UTC.
UNREAL_TIMESTAMPS = [
    "2026-02-30T10:00:00Z",
    "2025-02-29T10:00:00+01:00",
    "2026-13-01T10:00:00Z",
    "2026-04-31T10:00:00-02:00",
    "2026-09-01T24:00:00Z",
    "2026-09-01T10:60:00Z",
    "2026-09-01T10:00:61Z",
    "2026-09-01T10:00:00+24:00",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:30:00+01:00",
]


@pytest.mark.parametrize("stamp", UNREAL_TIMESTAMPS)
@pytest.mark.parametrize("field", ["finished_at", "committed_at", "started_at", "resolved_at", "rolled_back_at"])
def test_a_timestamp_that_is_no_real_instant_is_an_error_at_its_field(tmp_path: Path, field: str, stamp: str) -> None:
    deployments = [dict(row) for row in GOOD]
    incidents = [inc("i1", "2026-09-01T11:00:00Z", "2026-09-01T12:00:00Z", "d1")]
    if field == "committed_at":
        deployments[0]["changes"] = [{"id": "c1", "committed_at": stamp}]
    elif field in ("finished_at", "rolled_back_at"):
        deployments[0][field] = stamp
        if field == "rolled_back_at":
            deployments[0]["result"] = "rolled_back"
    else:
        incidents[0][field] = stamp
    write_team(tmp_path, deployments=deployments, incidents=incidents)
    problems = _problems(tmp_path)
    kind = "incidents" if field in ("started_at", "resolved_at") else "deployments"
    key = "changes" if field == "committed_at" else field
    line = json.dumps((incidents if kind == "incidents" else deployments)[0])
    column = line.index(json.dumps(key)) + 1
    where = f"teams/checkout/{kind}.jsonl:1:{column}: error:"
    assert any(p.startswith(where) and stamp in p for p in problems), problems
    result = invoke("validate", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("day", ["2026-02-30", "2025-02-29", "2026-13-01", "2026-04-31", "0000-01-01"])
def test_a_day_of_counts_that_does_not_exist_is_an_error_on_its_row(tmp_path: Path, day: str) -> None:
    write_slo(write_team(tmp_path), "availability", [("2026-09-01", 1, 1), (day, 1, 1)])
    problems = [p for p in _problems(tmp_path) if ": error: " in p]
    assert problems and all(p.startswith("teams/checkout/slos/availability.csv:3:1: error:") for p in problems), (
        problems
    )
    assert day in problems[0]
    result = invoke("validate", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("stamp", ["2026-02-30T10:00:00Z", "9999-12-31T23:00:00-05:00"])
def test_an_unreal_timestamp_in_a_csv_file_is_an_error_on_its_row(tmp_path: Path, stamp: str) -> None:
    folder = write_team(tmp_path)
    _lines(
        folder,
        "deployments.csv",
        "id,service,environment,finished_at,result,changes,planned,remediates",
        f"d1,api,production,{stamp},success,c1@2026-09-01T08:00:00Z,,",
    )
    problems = [p for p in _problems(tmp_path) if ": error: " in p]
    assert problems and all(p.startswith("teams/checkout/deployments.csv:2:") and stamp in p for p in problems), (
        problems
    )
    assert "Traceback" not in invoke("validate", cwd=tmp_path).stderr


# --- hostile files: a key twice, a file that is no file, digits of other scripts ---------------------------


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('"result": "failed", "result": "success"', "result"),
        ('"result": "success", "\\u0072esult": "success"', "result"),  # the same key, spelled with an escape
        ('"result" : "failed", "result": "success"', "result"),  # a space before the colon
    ],
)
def test_a_duplicate_key_is_refused_at_its_column(tmp_path: Path, line: str, key: str) -> None:
    folder = write_team(tmp_path, deployments=GOOD)
    text = (folder / "deployments.jsonl").read_text("utf-8")
    first = text.splitlines()[0].replace('"result": "success"', line)
    (folder / "deployments.jsonl").write_text(text.replace(text.splitlines()[0], first, 1), "utf-8")
    column = first.rindex('"result"' if "\\u0072" not in line else '"\\u0072esult"') + 1
    assert _problems(tmp_path) == [
        f"teams/checkout/deployments.jsonl:1:{column}: error: duplicate-key: duplicate key '{key}': each key "
        "appears once in an object (readers disagree on which one counts); keep one"
    ]
    result = invoke("validate", cwd=tmp_path)
    assert result.returncode == 1 and f"deployments.jsonl:1:{column}: error: duplicate key '{key}'" in result.stdout
    figures = invoke("teams", "--today", "2026-09-10", cwd=tmp_path)
    assert figures.returncode == 1 and "Traceback" not in result.stdout + result.stderr + figures.stderr


def test_a_duplicate_key_inside_a_change_is_refused(tmp_path: Path) -> None:
    folder = write_team(tmp_path, deployments=GOOD)
    change = '"committed_at": "2026-09-01T08:00:00Z"'
    text = (folder / "deployments.jsonl").read_text("utf-8").replace(change, f"{change}, {change}", 1)
    (folder / "deployments.jsonl").write_text(text, "utf-8")
    column = text.splitlines()[0].rindex('"committed_at"') + 1
    assert [p.split(": ")[0:3] for p in _problems(tmp_path)] == [
        [f"teams/checkout/deployments.jsonl:1:{column}", "error", "duplicate-key"]
    ]


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _directory(path: Path) -> None:
    path.mkdir()


def _device(path: Path) -> None:
    import stat

    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null
    except PermissionError:
        pytest.skip("creating a device needs privileges")


def _link_out(path: Path) -> None:
    path.symlink_to("/etc/hostname")


def _dangling_link(path: Path) -> None:
    path.symlink_to("/nowhere/at/all.jsonl")


NOT_FILES = {"FIFO": _fifo, "folder": _directory, "device": _device, "link out": _link_out, "dangling": _dangling_link}


@pytest.mark.parametrize("name", ["deployments.jsonl", "incidents.csv", "slos/availability.csv"])
@pytest.mark.parametrize("kind", sorted(NOT_FILES))
def test_an_event_file_that_is_not_a_regular_file_is_refused_before_it_is_opened(
    tmp_path: Path, name: str, kind: str
) -> None:
    incidents = [inc("i1", "2026-09-01T11:00:00Z", "2026-09-01T12:00:00Z", "d1")] if name != "incidents.csv" else None
    folder = write_team(tmp_path, deployments=GOOD if name != "deployments.jsonl" else None, incidents=incidents)
    write_slo(folder, "availability", [("2026-09-01", 1, 1)])
    (folder / name).unlink(missing_ok=True)
    NOT_FILES[kind](folder / name)

    hung: list[bool] = []
    done = threading.Event()

    def unblock() -> None:  # a reader waiting on the FIFO (on any thread) is let go, and the test fails
        while not done.wait(0.2):
            try:
                os.close(os.open(folder / name, os.O_WRONLY | os.O_NONBLOCK))
                hung.append(True)
            except OSError:
                pass  # nobody is waiting on it: not opened, or not a FIFO

    watchdog = threading.Thread(target=unblock, daemon=True)
    watchdog.start()
    try:
        result = invoke("validate", cwd=tmp_path)  # with the cache: its key must not open the file either
        again = invoke("teams", cwd=tmp_path)
    finally:
        done.set()
        watchdog.join()
    assert not hung, "the check opened a FIFO and waited for a writer"
    errors = [line for line in result.stdout.splitlines() if ": error: " in line and line.startswith("teams/")]
    linked = ("link" in kind or kind == "dangling") and not name.startswith("slos/")
    expected = "symbolic links are not followed" if linked else "not a regular file"
    assert len(errors) == 1 and errors[0].startswith(f"teams/checkout/{name}:"), result.stdout  # no follow-on errors
    assert expected in errors[0]
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert again.returncode == 1 and "Traceback" not in again.stdout + again.stderr
    assert "unknown-reference" not in again.stderr


@pytest.mark.parametrize(
    "cell",
    ["17753\uff19", "\u0661\u0662", "1_000", " 5", "5 ", "+5", "0x1F", "1.0", "1e3", "\u00b2"],
)
def test_a_count_that_is_not_ascii_digits_is_one_error_on_its_cell(tmp_path: Path, cell: str) -> None:
    folder = write_team(tmp_path, deployments=GOOD)
    write_slo(folder, "availability", [("2026-09-01", 1, 1), ("2026-09-02", 1, 1)])
    path = folder / "slos" / "availability.csv"
    path.write_text(path.read_text("utf-8").replace("2026-09-02,1,1", f"2026-09-02,1,{cell}"), "utf-8")
    assert [p for p in _problems(tmp_path) if ": error: " in p] == [
        f"teams/checkout/slos/availability.csv:3:3: error: csv-value: column 'total': '{cell}' is not a whole "
        "number (digits 0-9 only)"
    ]
    figures = invoke("teams", "--today", "2026-09-10", cwd=tmp_path)
    assert figures.returncode == 1 and "Traceback" not in figures.stdout + figures.stderr


def test_a_negative_count_is_still_said_to_be_negative(tmp_path: Path) -> None:
    write_slo(write_team(tmp_path, deployments=GOOD), "availability", [("2026-09-01", -1, 1)])
    assert [p.split(": ", 3)[2:] for p in _problems(tmp_path) if ": error: " in p] == [
        ["csv-value", "counts cannot be negative"]
    ]
