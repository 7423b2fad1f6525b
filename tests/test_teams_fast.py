"""The whole-file check of clean event files (check/teams_fast.py) and the line-by-line reader agree.

Same findings at the same positions, same team (first event, coverage warnings), same figures. The
whole-file check answers "clean" only where the reader finds no error, and declines everything else,
so that every message comes from the reader."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from teamkit import deployment as dep
from teamkit import incident as inc
from teamkit import write_jsonl, write_slo, write_team

from generator.check import teams, teams_fast
from generator.check.schema_check import is_valid, schema_text
from generator.check.teams import PERSON_KEYS, TeamSettings, check_teams
from generator.compute.dora import DEPLOYMENT_COLUMNS
from generator.compute.teams import as_data, team_figures

SETTINGS = TeamSettings()
DEPLOYMENTS = [
    dep("d1", "2026-09-01T10:00:00Z", changes=(("c1", "2026-09-01T08:00:00Z"), ("c2", "2026-08-31T17:30:00Z"))),
    dep("d2", "2026-09-02T10:00:00.250Z", "rolled_back", rolled_back_at="2026-09-02T10:20:00Z", url="https://ci/2"),
    dep(
        "d3",
        "2026-09-02T12:00:00+02:00",
        planned=False,
        remediates=["d2", "i1"],
        changes=(("c1", "2024-02-29T08:00:00Z"),),
    ),
    dep("d4", "2026-10-15T09:00:00Z", env="staging"),
    dep("d5", "2026-10-16T09:00:00Z", "failed"),
]
INCIDENTS = [
    inc("i1", "2026-09-02T10:05:00Z", "2026-09-02T11:00:00Z", "d2"),
    dict(
        inc("i2", "2026-08-30T23:00:00-03:00"),
        user_impact="Zahlungen für 3 % der Nutzer abgelehnt",
        postmortem="https://wiki/pm/2",
    ),
    {k: v for k, v in inc("i3", "2026-09-03T10:05:00Z").items() if k != "caused_by"},
]


def _valid_team(root: Path) -> Path:
    folder = write_team(root, deployments=DEPLOYMENTS, incidents=INCIDENTS)
    write_slo(folder, "availability", [("2026-09-01", 90, 100), ("2026-09-02", 5, 5), ("2026-09-05", 0, 0)])
    return folder


def _head(root: Path) -> teams.TeamHead:
    head, problems, _ = teams._team_head(root / "teams" / "checkout", SETTINGS)
    assert head is not None, problems
    return head


def _agree(root: Path) -> tuple[Any, list[str]]:
    """Both paths' results for the team under root (asserted equal), and the findings as text."""
    head = _head(root)
    fast = teams._check_events(head, SETTINGS)
    slow = teams._check_events_line_by_line(head, SETTINGS)
    assert fast == slow
    for slo in head.team.slos:
        if slo.counts is not None:
            shown = f"teams/checkout/slos/{slo.counts.name}"
            assert teams._check_counts(slo.counts, shown) == teams._check_counts_line_by_line(slo.counts, shown)
    return fast, [f"{d.file}:{d.line}:{d.column}: {d.severity}: {d.code}" for d in fast[1]]


def _clean(root: Path) -> teams_fast.CleanEvents | None:
    team = _head(root).team
    return teams_fast.clean_events(team.deployments, team.incidents, team.services)


def test_clean_files_take_the_fast_path_and_agree(tmp_path: Path) -> None:
    folder = _valid_team(tmp_path)
    assert b"\\u00fc" in (folder / "incidents.jsonl").read_bytes()  # escaped values are read whole too
    assert _clean(tmp_path) is not None
    assert teams_fast.clean_count_days(folder / "slos" / "availability.csv") is not None
    (team, _, files), found = _agree(tmp_path)
    assert files == 3 and team.first_event == date(2026, 8, 31)  # i2 starts on 31 August in UTC
    assert found == [
        "teams/checkout/deployments.jsonl:1:1: warning: coverage-gap",  # 2 September to 15 October
        "teams/checkout/slos/availability.csv:1:1: warning: coverage-gap",  # 3 and 4 September
    ]


def test_the_sample_team_takes_the_fast_path_with_the_same_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parent.parent
    report = check_teams(root)
    assert report.teams and not report.errors
    fast = [as_data(f, None) for f in team_figures(report, date(2026, 11, 28))]
    sample = report.teams[0]
    assert teams_fast.clean_events(sample.deployments, sample.incidents, sample.services) is not None
    monkeypatch.setattr(teams, "clean_events", lambda *args: None)
    monkeypatch.setattr(teams, "clean_count_days", lambda *args: None)
    slow_report = check_teams(root)
    assert slow_report == report
    assert [as_data(f, None) for f in team_figures(slow_report, date(2026, 11, 28))] == fast


def _rewrite(name: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / name
        path.write_bytes(change(path.read_bytes().decode("utf-8")).encode("utf-8"))

    return apply


def _line(name: str, number: int, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / name
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        rows[number - 1] = change(dict(rows[number - 1]))
        write_jsonl(path, rows)

    return apply


DEP, INC = "deployments.jsonl", "incidents.jsonl"


def _latin1(folder: Path) -> None:
    path = folder / INC
    path.write_bytes(path.read_bytes().replace(b"Zahlungen", b"Zahl\xfcngen"))


# Each kind of problem: the whole-file check declines, and the reader finds it (code) at its line.
BROKEN: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated line": (_rewrite(DEP, lambda t: t[: t.rindex("}")]), "json-syntax"),
    "wrong type": (_line(DEP, 1, lambda r: r | {"planned": "yes"}), "schema-type"),
    "null for a string": (_line(DEP, 1, lambda r: r | {"service": None}), "schema-type"),
    "number out of range": (_line(DEP, 1, lambda r: r | {"planned": 10**400}), "number-out-of-range"),
    "field naming a person": (_line(DEP, 2, lambda r: r | {"author": "Ada Lovelace"}), "names-a-person"),
    "person field in a change": (
        _line(
            DEP, 1, lambda r: r | {"changes": [{"id": "c9", "committed_at": "2026-09-01T08:00:00Z", "committer": "x"}]}
        ),
        "schema-additionalProperties",  # a line without '@' gets the schema's word for it
    ),
    "only an e-mail": (
        _line(INC, 2, lambda r: r | {"user_impact": "reported by ada@example.com"}),
        "person-like-value",
    ),
    "only an @handle": (_line(INC, 2, lambda r: r | {"user_impact": "@jdoe saw it"}), "person-like-value"),
    "e-mail in an escaped value": (
        _rewrite(INC, lambda t: t.replace("Zahlungen", "ada\\u0040example.com Zahlungen")),
        "person-like-value",
    ),
    "unknown field": (_line(DEP, 1, lambda r: r | {"region": "eu"}), "schema-additionalProperties"),
    "missing field": (_line(INC, 1, lambda r: {k: v for k, v in r.items() if k != "severity"}), "schema-required"),
    "unknown result": (_line(DEP, 1, lambda r: r | {"result": "ok"}), "schema-enum"),
    "unknown cause": (_line(INC, 1, lambda r: r | {"caused_by": "d9"}), "unknown-reference"),
    "unknown remediated id": (_line(DEP, 3, lambda r: r | {"remediates": ["i9"]}), "unknown-reference"),
    "remediates itself": (_line(DEP, 3, lambda r: r | {"remediates": ["d3"]}), "unknown-reference"),
    "duplicate id": (_line(DEP, 2, lambda r: r | {"id": "d1"}), "duplicate-id"),
    "duplicate incident id": (_line(INC, 2, lambda r: r | {"id": "i1"}), "duplicate-id"),
    "change listed twice": (
        _line(DEP, 1, lambda r: r | {"changes": [*r["changes"], r["changes"][0]]}),
        "duplicate-change",
    ),
    "unknown service": (_line(DEP, 4, lambda r: r | {"service": "billing"}), "unknown-service"),
    "rolled back before finishing": (
        _line(DEP, 2, lambda r: r | {"rolled_back_at": "2026-09-02T09:00:00Z"}),
        "time-order",
    ),
    "resolved before starting": (_line(INC, 1, lambda r: r | {"resolved_at": "2026-09-02T10:04:59Z"}), "time-order"),
    "resolved before starting, offsets": (
        _line(INC, 1, lambda r: r | {"resolved_at": "2026-09-02T12:04:00+02:00"}),
        "time-order",
    ),
    "30 February": (_line(DEP, 1, lambda r: r | {"finished_at": "2026-02-30T10:00:00Z"}), "unreal-timestamp"),
    "29 February, not a leap year": (
        _line(DEP, 1, lambda r: r | {"finished_at": "2026-02-29T10:00:00Z"}),
        "unreal-timestamp",
    ),
    "hour 24": (_line(DEP, 1, lambda r: r | {"finished_at": "2026-09-01T24:00:00Z"}), "unreal-timestamp"),
    "lowercase z": (_line(DEP, 1, lambda r: r | {"finished_at": "2026-09-01T10:00:00z"}), "schema-pattern"),
    "no time zone": (_line(INC, 3, lambda r: r | {"started_at": "2026-09-03T10:05:00"}), "schema-pattern"),
    "bad change id": (
        _line(DEP, 1, lambda r: r | {"changes": [{"id": ".c1", "committed_at": "2026-09-01T08:00:00Z"}]}),
        "schema-pattern",
    ),
    "id with a space": (_line(DEP, 1, lambda r: r | {"id": "d 1"}), "schema-pattern"),
    "uppercase severity": (_line(INC, 1, lambda r: r | {"severity": "SEV2"}), "schema-pattern"),
    "url with a space": (_line(DEP, 2, lambda r: r | {"url": "https://ci/a b"}), "schema-pattern"),
    "blank user impact": (_line(INC, 1, lambda r: r | {"user_impact": "\u3000 "}), "schema-pattern"),
    "too long user impact": (_line(INC, 1, lambda r: r | {"user_impact": "x" * 501}), "schema-maxLength"),
    "two objects on one line": (_rewrite(DEP, lambda t: t.replace("}\n", "} ", 1)), "json-syntax"),
    "one object over two lines": (_rewrite(DEP, lambda t: t.replace(', "service"', ',\n"service"', 1)), "json-syntax"),
    "an array line": (_rewrite(DEP, lambda t: t + "[]\n"), "not-an-object"),
    "not UTF-8": (_latin1, "not-utf8"),
    "NaN": (_rewrite(DEP, lambda t: t.replace('"planned": false', '"planned": NaN')), "number-out-of-range"),
    # a key twice: msgspec (like Python) keeps the last, the figures' reader refuses the line
    "a key twice": (
        _rewrite(
            DEP, lambda t: t.replace('"result": "success"', '"result": "failed", ' * 1 + '"result": "success"', 1)
        ),
        "duplicate-key",
    ),
    "a key twice, same value": (
        _rewrite(INC, lambda t: t.replace('"severity": "sev2"', '"severity": "sev2", "severity": "sev2"', 1)),
        "duplicate-key",
    ),
    "a key twice, one escaped": (
        _rewrite(DEP, lambda t: t.replace('"result": "success"', '"result": "success", "\\u0072esult": "success"', 1)),
        "duplicate-key",
    ),
    "a key twice, spaced colon": (
        _rewrite(DEP, lambda t: t.replace('"result": "success"', '"result" : "failed", "result": "success"', 1)),
        "duplicate-key",
    ),
    "a key twice, tab before colon": (
        _rewrite(DEP, lambda t: t.replace('"result": "success"', '"result"\t: "failed", "result": "success"', 1)),
        "duplicate-key",
    ),
    "a key twice, and a quoted colon in a value": (
        _rewrite(
            INC,
            lambda t: t.replace('"severity": "sev2"', '"severity": "sev2", "severity": "sev2"', 1).replace(
                "Zahlungen", 'Zahlungen \\": x', 1
            ),
        ),
        "duplicate-key",
    ),
    "a key twice in a change": (
        _rewrite(
            DEP,
            lambda t: t.replace(
                '"committed_at": "2026-09-01T08:00:00Z"',
                '"committed_at": "2026-09-01T08:00:00Z", "committed_at": "2026-09-01T08:00:00Z"',
                1,
            ),
        ),
        "duplicate-key",
    ),
    "an id twice in a change": (
        _rewrite(DEP, lambda t: t.replace('{"id": "c1"', '{"id": "c1", "id": "c1"', 1)),
        "duplicate-key",
    ),
}


def _csv_events(folder: Path) -> None:
    (folder / DEP).unlink()
    (folder / "deployments.csv").write_text(
        "id,service,environment,finished_at,result\nd1,api,production,2026-09-01T10:00:00Z,success\n", "utf-8"
    )
    _line(INC, 1, lambda r: r | {"caused_by": "d1"})(folder)
    _line(INC, 2, lambda r: r | {"caused_by": None})(folder)


# Files that are fine: whichever path reads them, the same findings (no error) and the same team.
FINE: dict[str, tuple[Callable[[Path], None], bool]] = {  # the change, and whether the fast path takes it
    "Windows line ends": (_rewrite(DEP, lambda t: t.replace("\n", "\r\n")), True),
    "an escaped quote and tab": (_rewrite(INC, lambda t: t.replace("Zahlungen", 'Die \\"Zahlungen\\"\\t')), True),
    "an escaped emoji": (_rewrite(INC, lambda t: t.replace("Zahlungen", "\\ud83d\\ude00 Zahlungen")), False),
    "a byte order mark": (_rewrite(DEP, lambda t: "\ufeff" + t), False),
    "a blank line": (_rewrite(INC, lambda t: t.replace("\n", "\n\n", 1)), False),
    "an @ that names nobody": (_line(DEP, 2, lambda r: r | {"url": "https://ci/x@2"}), False),
    "CSV events": (_csv_events, False),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_kind_of_problem_is_left_to_the_reader(tmp_path: Path, case: str) -> None:
    folder = _valid_team(tmp_path)
    change, code = BROKEN[case]
    change(folder)
    assert _clean(tmp_path) is None
    _, found = _agree(tmp_path)
    assert any(f": error: {code}" in line for line in found), found


@pytest.mark.parametrize("case", sorted(FINE))
def test_fine_files_agree_whichever_path_reads_them(tmp_path: Path, case: str) -> None:
    folder = _valid_team(tmp_path)
    change, fast = FINE[case]
    change(folder)
    assert (_clean(tmp_path) is not None) == fast
    _, found = _agree(tmp_path)
    assert not [line for line in found if ": error: " in line], found


# Each duplicate key above: its file, and the text of the key's second writing on line 1 (the nth occurrence).
DUPLICATES = {
    "a key twice": (DEP, '"result"', 2),
    "a key twice, same value": (INC, '"severity"', 2),
    "a key twice, one escaped": (DEP, '"\\u0072esult"', 1),
    "a key twice, spaced colon": (DEP, '"result"', 2),
    "a key twice, tab before colon": (DEP, '"result"', 2),
    "a key twice, and a quoted colon in a value": (INC, '"severity"', 2),
    "a key twice in a change": (DEP, '"committed_at"', 2),
    "an id twice in a change": (DEP, '"id"', 3),  # the deployment's id, the change's, then the second
}


@pytest.mark.parametrize("case", sorted(DUPLICATES))
def test_a_duplicate_key_is_one_error_at_its_second_writing(tmp_path: Path, case: str) -> None:
    folder = _valid_team(tmp_path)
    BROKEN[case][0](folder)
    name, key, nth = DUPLICATES[case]
    line = (folder / name).read_text("utf-8").split("\n")[0]
    column = -1
    for _ in range(nth):
        column = line.index(key, column + 1)
    assert _clean(tmp_path) is None
    _, found = _agree(tmp_path)
    assert [f for f in found if ": error: " in f] == [f"teams/checkout/{name}:1:{column + 1}: error: duplicate-key"]


def test_a_large_file_is_read_line_by_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _valid_team(tmp_path)
    monkeypatch.setattr(teams_fast, "MAX_WHOLE_BYTES", (folder / DEP).stat().st_size - 1)
    assert _clean(tmp_path) is None  # whole, its records would take several times its size in memory
    _, found = _agree(tmp_path)
    assert not [line for line in found if ": error: " in line], found


@pytest.mark.parametrize(
    "rows",
    [
        "date,good,total\n2026-09-01,10,9\n",  # good above total
        "date,good,total\n2026-09-01,1,1\n2026-09-01,1,1\n",  # a day twice
        "date,good,total\n2026-02-30,1,1\n",  # no such day
        "date,good,total\n2026-09-01,-1,1\n",  # negative
        "date,total,good\n2026-09-01,1,1\n",  # columns in another order
        "date,good,total\n2026-09-01,1,1\n\n2026-09-02,1,1\n",  # a blank row (fine, left to the reader)
        'date,good,total\n"2026-09-01",1,1\n',  # quoted (fine, left to the reader)
        "date,good,total\r\n2026-09-01,1,1\r\n",  # Windows line ends (fine, left to the reader)
        "date,good,total\n2026-09-01,99999999999999999999,99999999999999999999\n",  # beyond the reader's bound
        "",
    ],
)
def test_counts_the_fast_path_declines_agree(tmp_path: Path, rows: str) -> None:
    folder = _valid_team(tmp_path)
    (folder / "slos" / "availability.csv").write_text(rows, "utf-8")
    assert teams_fast.clean_count_days(folder / "slos" / "availability.csv") is None
    _agree(tmp_path)


def test_the_typed_records_follow_the_schemas() -> None:
    for kind, record in (("deployment", teams_fast.Deployment), ("incident", teams_fast.Incident)):
        schema = json.loads(schema_text(kind))
        info = msgspec.inspect.type_info(record)
        assert isinstance(info, msgspec.inspect.StructType)
        assert {f.name for f in info.fields} == set(schema["properties"])
        assert {f.name for f in info.fields if f.required} == set(schema["required"])
        assert not {f.name for f in info.fields} & PERSON_KEYS
    change = json.loads(schema_text("deployment"))["properties"]["changes"]["items"]
    assert set(teams_fast.Change.__struct_fields__) == set(change["properties"]) == set(change["required"])


@settings(max_examples=200, deadline=None)
@given(st.from_regex(teams_fast.TIMESTAMP, fullmatch=True))
def test_every_timestamp_the_fast_path_accepts_the_schema_accepts(stamp: str) -> None:
    row = dep("d1", stamp, rolled_back_at=stamp, changes=(("c1", stamp),))
    assert is_valid(row, "deployment"), stamp
    teams_fast.parse_timestamp(stamp)  # and Python reads it (the rules compare timestamps)


def test_the_usual_timestamps_checked_column_by_column_are_exactly_the_valid_ones() -> None:
    """Every month, day and hour around the edges, one value at a time: the column check accepts a value
    only where TIMESTAMP does, and every valid one outside 29 February (which goes to TIMESTAMP)."""
    for year in ("2024", "2026", "1999"):
        for month in range(14):
            for day in range(33):
                for time in (
                    "00:00:00",
                    "09:59:59",
                    "19:00:00",
                    "20:30:00",
                    "23:59:59",
                    "24:00:00",
                    "29:00:00",
                    "10:60:00",
                    "10:00:60",
                ):
                    stamp = f"{year}-{month:02d}-{day:02d}T{time}Z"
                    valid = teams_fast.TIMESTAMP.fullmatch(stamp) is not None
                    usual = teams_fast._usual_and_valid([stamp])
                    assert not usual or valid, stamp
                    assert usual or not valid or year == "1999" or (month, day) == (2, 29), stamp
                    assert teams_fast._all_timestamps([stamp]) == valid, stamp


DIGIT = st.sampled_from("0123456789") | st.sampled_from("0123")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(*[DIGIT] * 14).map(lambda d: "{}{}{}{}-{}{}-{}{}T{}{}:{}{}:{}{}Z".format("2", *d[1:4], *d[4:])),
        min_size=1,
        max_size=8,
    )
)
def test_the_column_check_agrees_with_the_pattern_on_any_list(stamps: list[str]) -> None:
    expected = all(teams_fast.TIMESTAMP.fullmatch(s) for s in stamps)
    assert not teams_fast._usual_and_valid(stamps) or expected
    assert teams_fast._all_timestamps(stamps) == expected


STAMPS = [
    "2026-09-01T10:00:00Z",
    "2026-09-01T09:00:00Z",
    "2026-09-01T10:00:00.5Z",
    "2026-09-01T12:00:00+02:00",
    "2024-02-29T10:00:00Z",
    "2026-02-29T10:00:00Z",
    "2026-09-31T10:00:00Z",
    "2026-09-01T24:00:00Z",
    "2026-09-01T10:00:60Z",
    "2026-09-01T10:00:00.1234567Z",
    "2026-09-01t10:00:00Z",
    "2026-09-01T10:00:00",
    "0999-09-01T10:00:00Z",
]
TEXTS = ["Checkout slow", "", " ", "über 5 %", "ada@example.com", "paged @jdoe", "x" * 501, "a\tb"]
IDS = ["d1", "d2", "i1", "c1", "c2", "d 1", ".d", "D1", "a@b.co", "x" * 201, "d1\n"]
VALUES: dict[str, Any] = {
    "id": st.sampled_from(IDS),
    "service": st.sampled_from(["api", "api", "billing", "API"]),
    "environment": st.sampled_from(["production", "staging", "Prod", ""]),
    "finished_at": st.sampled_from(STAMPS),
    "started_at": st.sampled_from(STAMPS),
    "resolved_at": st.sampled_from(STAMPS),
    "rolled_back_at": st.sampled_from(STAMPS),
    "result": st.sampled_from(["success", "failed", "rolled_back", "ok"]),
    "planned": st.sampled_from([True, False, None, "yes", 1]),
    "remediates": st.lists(st.sampled_from(IDS), max_size=3),
    "changes": st.lists(
        st.fixed_dictionaries({"id": st.sampled_from(IDS), "committed_at": st.sampled_from(STAMPS)}), max_size=3
    ),
    "url": st.sampled_from(["https://ci/1", "http://x", "https://", "ftp://x", "https://a b"]),
    "severity": st.sampled_from(["sev1", "SEV1"]),
    "user_impact": st.sampled_from(TEXTS),
    "caused_by": st.sampled_from([None, "d1", "d2", "d9", 5]),
    "postmortem": st.sampled_from(["https://wiki/1", "wiki"]),
    "author": st.just("Ada"),
}
DEPLOYMENT_KEYS = [*DEPLOYMENT_COLUMNS, "url"]
INCIDENT_KEYS = ["id", "service", "started_at", "resolved_at", "severity", "user_impact", "caused_by", "postmortem"]


@st.composite
def _rows(draw: st.DrawFn, base: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """The valid rows with a few fields replaced, dropped or added (mostly still valid)."""
    rows = [dict(row) for row in base]
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.sampled_from(rows))
        key = draw(st.sampled_from([*keys, "author"]))
        if draw(st.integers(0, 4)) == 0:
            row.pop(key, None)
        else:
            row[key] = draw(VALUES[key])
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rows(DEPLOYMENTS, DEPLOYMENT_KEYS), _rows(INCIDENTS, INCIDENT_KEYS))
def test_both_paths_agree_on_random_edits(deployments: list[dict[str, Any]], incidents: list[dict[str, Any]]) -> None:
    root = Path(tempfile.mkdtemp(prefix="teams-fast-"))
    try:
        write_team(root, deployments=deployments, incidents=incidents)
        clean = _clean(root)
        (_, problems, _), _ = _agree(root)
        if clean is not None:
            assert not [d for d in problems if d.severity == "error"]
    finally:
        shutil.rmtree(root)
