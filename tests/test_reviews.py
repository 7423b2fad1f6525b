"""Sealed reviews: `handbook review` writes one file per reviewer beside the packet, encrypted with
age to the committee when sealing is on; nothing sealed is ever in clear; a wrong key reads nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml
from conftest import FIXED_TODAY, edit, invoke
from reviewkit import SECRET_NOTE, Committee, body, build_cycle, enable_sealing, write_packet, write_review

CLEAR_MARKERS = (
    SECRET_NOTE,
    "zebra-marker",
    "billing-bus-plan",
    "search-error-budget",
    "del-ic3-projects",
    "rating",
    "judgement",
    "counterexample",
)


@pytest.fixture
def sealed(repo: Path, tmp_path: Path) -> tuple[Path, Committee]:
    committee = Committee(tmp_path / "keys")
    enable_sealing(repo, committee)
    build_cycle(repo, committee)
    return repo, committee


def test_the_default_handbook_validates_with_sealing_off_and_on(repo: Path, tmp_path: Path) -> None:
    assert invoke("validate", "--no-cache", cwd=repo).returncode == 0
    enable_sealing(repo, Committee(tmp_path / "keys"))
    result = invoke("validate", "--no-cache", cwd=repo)
    assert result.returncode == 0, result.stdout


def test_a_sealed_review_holds_nothing_but_reviewer_packet_and_date_in_clear(sealed: tuple[Path, Committee]) -> None:
    repo, _ = sealed
    files = sorted(repo.glob("packets/2026-h2/*.reviews/*.yaml"))
    assert len(files) == 11
    for path in files:
        text = path.read_text("utf-8")
        for marker in CLEAR_MARKERS:
            assert marker not in text, (path, marker)
        data = yaml.safe_load(text)
        assert set(data) == {"reviewer", "packet", "date", "sealed"}
        assert data["sealed"].startswith("-----BEGIN AGE ENCRYPTED FILE-----")
    result = invoke("validate", "--no-cache", cwd=repo)
    assert result.returncode == 0, result.stdout


def test_review_command_seals_from_flags_and_from_a_file(sealed: tuple[Path, Committee], tmp_path: Path) -> None:
    repo, committee = sealed
    packet = write_packet(repo, "echo", "submitted")
    draft = tmp_path / "draft.yaml"
    draft.write_text(yaml.safe_dump(body((4, 3, 4), "zebra-marker from a file")), "utf-8")
    by_file = invoke("review", packet, "--reviewer", "erin", "--from", str(draft), cwd=repo)
    assert by_file.returncode == 0, by_file.stderr
    by_flags = invoke(
        "review",
        packet,
        "--reviewer",
        "frank",
        "--rating",
        "delivery=4",
        "--rating",
        "reliability=2",
        "--rating",
        "collaboration=3",
        "--note",
        "delivery=zebra-marker from flags",
        "--met",
        "del-ic3-projects=billing-bus-plan",
        "--not-met",
        "rel-ic3-slos=search-error-budget",
        "--counterexample",
        "zebra-marker: paged twice",
        cwd=repo,
    )
    assert by_flags.returncode == 0, by_flags.stderr
    assert "sealed to 2 committee member(s)" in by_flags.stdout
    for name in ("erin", "frank"):
        text = (repo / f"packets/2026-h2/echo.reviews/{name}.yaml").read_text("utf-8")
        assert all(marker not in text for marker in CLEAR_MARKERS)
    shown = invoke("calibrate", "2026-h2", "--identity", str(committee.keyfiles[0]), cwd=repo)
    assert shown.returncode == 0, shown.stderr
    assert "zebra-marker from flags" in shown.stdout and "zebra-marker from a file" in shown.stdout
    assert "zebra-marker: paged twice" in shown.stdout


@pytest.mark.parametrize(
    "flags, message",
    [
        (("--rating", "delivery=7"), "7"),
        (("--rating", "speed=3"), "unknown dimension 'speed'"),
        (
            ("--rating", "delivery=3", "--met", "del-ic3-projects=no-such-evidence"),
            "'no-such-evidence' is not an evidence id",
        ),
        (
            ("--rating", "delivery=3", "--not-met", "nope-criterion=billing-bus-plan"),
            "unknown criterion 'nope-criterion'",
        ),
        (("--note", "delivery=text"), "needs a --rating"),
        ((), "missing required key 'ratings'"),
        (("--rating", "delivery=three"), "not a whole number"),
    ],
)
def test_review_command_refuses_invalid_assessments_and_writes_nothing(
    sealed: tuple[Path, Committee], flags: tuple[()] | tuple[str, ...], message: str
) -> None:
    repo, _ = sealed
    packet = write_packet(repo, "echo", "submitted")
    result = invoke("review", packet, "--reviewer", "erin", *flags, cwd=repo)
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert not (repo / "packets/2026-h2/echo.reviews/erin.yaml").exists()


def test_review_command_never_overwrites_without_replace_and_keeps_drafts_out_of_the_repository(
    sealed: tuple[Path, Committee],
) -> None:
    repo, _ = sealed
    packet = "packets/2026-h2/delta.yaml"
    again = invoke("review", packet, "--reviewer", "bob", "--rating", "delivery=1", cwd=repo)
    assert again.returncode == 1 and "--replace" in again.stderr
    assert (
        invoke("review", packet, "--reviewer", "bob", "--rating", "delivery=1", "--replace", cwd=repo).returncode == 0
    )
    inside = repo / "draft.yaml"
    inside.write_text("ratings: {delivery: {rating: 3}}\n", "utf-8")
    refused = invoke("review", packet, "--reviewer", "gina", "--from", str(inside), cwd=repo)
    assert refused.returncode == 1 and "outside" in refused.stderr
    bad_name = invoke("review", packet, "--reviewer", "../../etc/x", "--rating", "delivery=3", cwd=repo)
    assert bad_name.returncode == 2 and "Traceback" not in bad_name.stderr


@pytest.mark.parametrize("key", ["outsider", "garbage", "empty", "missing"])
def test_a_wrong_identity_cannot_read_sealed_reviews(sealed: tuple[Path, Committee], tmp_path: Path, key: str) -> None:
    repo, committee = sealed
    paths = {"outsider": committee.outsider, "garbage": tmp_path / "garbage.key", "empty": tmp_path / "empty.key"}
    paths["garbage"].write_text("AGE-SECRET-KEY-1NOTAKEY\n", "utf-8")
    paths["empty"].write_text("# nothing here\n", "utf-8")
    args = ("calibrate", "2026-h2") + (() if key == "missing" else ("--identity", str(paths[key])))
    result = invoke(*args, cwd=repo)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert SECRET_NOTE not in result.stdout + result.stderr
    assert {
        "outsider": "cannot open",
        "garbage": "not an age identity",
        "empty": "holds no age identity",
        "missing": "--identity",
    }[key] in result.stderr


def test_nothing_sealed_reaches_logs_caches_or_the_internal_site(
    sealed: tuple[Path, Committee], tmp_path: Path
) -> None:
    repo, committee = sealed
    cache = tmp_path / "cache"
    env = {"HANDBOOK_CACHE_DIR": str(cache)}
    outputs = [
        invoke("validate", cwd=repo, env=env),
        invoke("readiness", "packets/2026-h2/delta.yaml", "--format", "markdown", cwd=repo, env=env),
        invoke("calibrate", "2026-h2", "--identity", str(committee.keyfiles[1]), cwd=repo, env=env),
        invoke("build", "--include-private", "--site-dir", str(tmp_path / "internal"), cwd=repo, env=env),
    ]
    assert all(o.returncode == 0 for o in outputs), [o.stderr for o in outputs]
    assert SECRET_NOTE in outputs[2].stdout  # the committee sees it, on its own terminal only
    assert "2 of 3 reviews in" in outputs[1].stdout and "2 sealed until calibration" in outputs[1].stdout
    for output in outputs[:2] + outputs[3:]:
        assert "zebra-marker" not in output.stdout + output.stderr
    stored = b"".join(p.read_bytes() for p in cache.rglob("*") if p.is_file())
    assert stored and b"zebra-marker" not in stored
    with sqlite3.connect(next(cache.glob("*.sqlite"))) as db:
        assert all("zebra-marker" not in v for (v,) in db.execute("SELECT value FROM results"))
    site = [p for p in (tmp_path / "internal").rglob("*") if p.is_file()]
    assert site and not any(b"zebra-marker" in p.read_bytes() for p in site)
    page = (tmp_path / "internal/packets/delta/index.html").read_text("utf-8")
    assert "2 of 3 reviews in" in page and "sealed until calibration" in page
    assert all(
        marker not in (repo / p).read_text("utf-8")
        for p in map(str, repo.glob("packets/**/*.yaml"))
        for marker in ("zebra-marker",)
    )


def test_clear_reviews_are_an_error_while_sealed_and_in_file_assessments_get_a_pointer(
    repo: Path, tmp_path: Path
) -> None:
    committee = Committee(tmp_path / "keys")
    enable_sealing(repo, committee)
    packet = write_packet(repo, "echo", "submitted")
    write_review(repo, packet, "erin", body((3, 3, 3)), None)
    text = (repo / packet).read_text("utf-8")
    (repo / packet).write_text(text + "assessments:\n  - reviewer: Old style\n    ratings: {delivery: 3}\n", "utf-8")
    result = invoke("validate", "--no-cache", cwd=repo)
    assert result.returncode == 1
    assert (
        "packets/2026-h2/echo.reviews/erin.yaml:2:1: error: sealing is on, but this review is in clear" in result.stdout
    )
    assert "[assessments-in-file]" in result.stdout and "handbook review packets/2026-h2/echo.yaml" in result.stdout


@pytest.mark.parametrize(
    "mutation, code",
    [
        (("reviewer: erin", "reviewer: someone-else"), "review-name"),
        (("packet: echo", "packet: other"), "review-packet"),
        (("rating: 3", "rating: 9"), "schema-maximum"),
        (("date: '2026-11-20'", "date: '2026-11-20'\nsealed: x"), "schema-pattern"),
    ],
)
def test_review_files_are_schema_and_cross_checked(repo: Path, mutation: tuple[str, str], code: str) -> None:
    packet = write_packet(repo, "echo", "submitted")
    path = write_review(repo, packet, "erin", body((3, 3, 3)), None)
    edit(path, *mutation)
    result = invoke("validate", "--no-cache", cwd=repo)
    assert result.returncode == 1 and f"[{code}]" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr


def test_an_orphan_review_is_reported(repo: Path) -> None:
    write_review(repo, "packets/2026-h2/ghost.yaml", "erin", body((3, 3, 3)), None)
    result = invoke("validate", "--no-cache", cwd=repo)
    assert result.returncode == 1 and "no packet packets/2026-h2/ghost.yaml for this review" in result.stdout


def test_reveal_only_after_decision_and_only_when_settings_keep_ratings(repo: Path, tmp_path: Path) -> None:
    committee = Committee(tmp_path / "keys")
    enable_sealing(repo, committee, keep=False)
    build_cycle(repo, committee)
    key = str(committee.keyfiles[0])
    refused = invoke("reveal", "2026-h2", "--identity", key, cwd=repo)
    assert refused.returncode == 1 and "stay sealed" in refused.stderr
    edit(repo / "site_config/handbook.yaml", "decisions_keep_ratings: false", "decisions_keep_ratings: true")
    done = invoke("reveal", "2026-h2", "--identity", key, cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "Still sealed: reviews of packets/2026-h2/delta.yaml" in done.stdout
    assert SECRET_NOTE in (repo / "packets/2026-h2/alpha.reviews/bob.yaml").read_text("utf-8")
    assert "sealed:" in (repo / "packets/2026-h2/delta.reviews/bob.yaml").read_text("utf-8")
    assert invoke("validate", "--no-cache", cwd=repo).returncode == 0
    readiness = invoke("readiness", "packets/2026-h2/alpha.yaml", cwd=repo)
    assert "3 of 3 reviews in" in readiness.stdout and f"delivery 4 ({SECRET_NOTE} bob)" in readiness.stdout
    assert "Composite: 4" in readiness.stdout
    assert FIXED_TODAY  # the decision dates of the fixtures lie before the fixed today


def test_validating_one_review_file_checks_it_against_its_packet(repo: Path) -> None:
    packet = write_packet(repo, "echo", "submitted")
    path = write_review(repo, packet, "erin", body((3, 3, 3)), None)
    assert invoke("validate", str(path), cwd=repo).returncode == 0
    edit(path, "- billing-bus-plan", "- not-in-the-packet")
    result = invoke("validate", str(path), cwd=repo)
    assert result.returncode == 1 and "'not-in-the-packet' is not an evidence id" in result.stdout
    assert "1 file checked" in result.stdout
