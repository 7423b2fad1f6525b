"""Regression tests for the hostile review of the promotion cycle (notes/cycle-review.md): each
test failed on the code as first merged."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import edit
from conftest import invoke as run_cli
from cyclekit import CYCLE, Cycle, CycleHandbook, as_json, forge, make_cycle, review

from generator.check.reviews import review_file


@pytest.fixture
def cycle(tmp_path: Path) -> Cycle:
    return make_cycle(tmp_path)


def _calibrated(repo: Path, identity: Path) -> dict[str, dict[str, Any]]:
    view = as_json(run_cli("calibrate", CYCLE, "--format", "json", "--identity", identity, cwd=repo))
    return {
        p["packet"]["file"].rsplit("/", 1)[-1].removesuffix(".yaml"): p
        for level in view["levels"]
        for p in level["packets"]
    }


# --- H1: only assigned, unconflicted, verified reviewers are counted -----------------------------


def test_a_candidate_reviewing_their_own_packet_is_refused_and_never_counted(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    edit(packets["bravo"], "candidate_id: bravo", "candidate_id: erin")
    # no assignment yet: the candidate reviews their own packet
    own = review(team_a, packets["bravo"], "erin", hb.signing["erin"], (5, 5, 5), "me")
    assert own.returncode == 1 and "their own packet" in own.stderr
    assert not (team_a / review_file(f"packets/{CYCLE}/bravo.yaml", "erin")).exists()
    forge(team_a, packets["bravo"], "erin", hb.signing["erin"], (5, 5, 5))
    checked = run_cli("validate", cwd=team_a)
    assert checked.returncode == 1 and "bravo.reviews/erin.yaml" in checked.stdout
    assert "does not count" in checked.stdout and "their own packet" in checked.stdout
    row = _calibrated(team_a, hb.identities[0])["bravo"]
    assert row["reviews_in"] == 0
    assert [r["unverified"] for r in row["reviewers"] if r["reviewer"] == "erin"] == ["it is their own packet"]
    assert all(s["ratings"] == [] for s in row["spreads"])
    status = as_json(run_cli("status", CYCLE, "--format", "json", cwd=team_a))
    bravo = next(p for p in status["packets"] if p["slug"] == "bravo")
    assert bravo["counted"] == 0 and bravo["reviews"][0]["why_not"] == "it is their own packet"


def test_an_unassigned_reviewer_is_refused_and_never_counted(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    assert run_cli("assign", packets["bravo"], "--reviewers", "bob,carol", cwd=team_a).returncode == 0
    for reviewer in ("bob", "carol"):
        assert review(team_a, packets["bravo"], reviewer, hb.signing[reviewer], (2, 2, 2), "ok").returncode == 0
    stranger = review(team_a, packets["bravo"], "dan", hb.signing["dan"], (5, 5, 5), "me")
    assert stranger.returncode == 1 and "not assigned" in stranger.stderr
    forge(team_a, packets["bravo"], "dan", hb.signing["dan"], (5, 5, 5))
    row = _calibrated(team_a, hb.identities[0])["bravo"]
    assert row["reviews_in"] == 2
    assert sorted(s["ratings"] for s in row["spreads"]) == [[2, 2]] * 3  # dan's 5s are not among them
    assert row["score"]["final"] == pytest.approx(2.0)
    status = as_json(run_cli("status", CYCLE, "--format", "json", cwd=team_a))
    bravo = next(p for p in status["packets"] if p["slug"] == "bravo")
    assert bravo["counted"] == 2 and bravo["not_counted"] == 1


def test_a_review_of_a_packet_nobody_was_assigned_to_does_not_count(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    refused = review(team_a, packets["bravo"], "bob", hb.signing["bob"], (5, 5, 5), "early")
    assert refused.returncode == 1 and "handbook assign" in refused.stderr
    forge(team_a, packets["bravo"], "bob", hb.signing["bob"], (5, 5, 5))
    status = as_json(run_cli("status", CYCLE, "--format", "json", cwd=team_a))
    bravo = next(p for p in status["packets"] if p["slug"] == "bravo")
    assert bravo["counted"] == 0 and "assigned" in bravo["reviews"][0]["why_not"]
    assert _calibrated(team_a, hb.identities[0])["bravo"]["reviews_in"] == 0


def test_ratings_typed_into_a_real_packet_do_not_count_once_reviews_are_signed(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    with packets["bravo"].open("a") as out:
        out.write("assessments:\n  - reviewer: bob\n    ratings: {delivery: 5, reliability: 5, collaboration: 5}\n")
    row = _calibrated(team_a, hb.identities[0])["bravo"]
    assert row["reviews_in"] == 0 and all(s["ratings"] == [] for s in row["spreads"])
    assert [r["unverified"] for r in row["reviewers"] if r["reviewer"] == "bob"][0].startswith("typed into the packet")
    checked = run_cli("validate", cwd=team_a)
    assert "do not count" in checked.stdout


def test_decide_compares_with_the_counted_reviews_only(cycle: Cycle) -> None:
    """numbers vs narrative: a self-review of 5s must not lift the composite over the bar."""
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    edit(packets["bravo"], "candidate_id: bravo", "candidate_id: erin")
    assert run_cli("assign", packets["bravo"], "--reviewers", "bob,carol", cwd=team_a).returncode == 0
    for reviewer in ("bob", "carol"):
        assert review(team_a, packets["bravo"], reviewer, hb.signing[reviewer], (2, 2, 2), "ok").returncode == 0
    forge(team_a, packets["bravo"], "erin", hb.signing["erin"], (5, 5, 5))
    promoted = run_cli(
        "decide",
        packets["bravo"],
        "--outcome",
        "promoted",
        "--rationale",
        "r",
        "--feedback",
        "f",
        "--identity",
        hb.identities[0],
        cwd=team_a,
    )
    assert promoted.returncode == 1 and "numbers and narrative disagree" in promoted.stderr


# --- H2: a handbook without a composite (what `handbook init` makes) -----------------------------


def test_every_cycle_report_works_on_a_handbook_made_by_init(tmp_path: Path) -> None:
    assert run_cli("init", tmp_path / "hb", "--tool-source", "handbook==1.0.0", cwd=tmp_path).returncode == 0
    root = tmp_path / "hb"
    assert not (root / "rubrics/composite.yaml").exists()
    made = run_cli("new", "packet", "--candidate", "Pat Doe", "--target", "senior-engineer", cwd=root)
    assert made.returncode == 0, made.stderr
    packet = next((root / "packets").rglob("pat-doe.yaml"))
    cycle = packet.parent.name
    with packet.open("a") as out:  # ratings, so that every block of the reports renders
        out.write(
            "assessments:\n  - reviewer: Ada\n    ratings: {delivery: 3, collaboration: 4}\n"
            "  - reviewer: Bo\n    ratings: {delivery: 1, collaboration: 4}\n"
        )
    for args in (("calibrate", cycle), ("status", cycle), ("readiness", packet)):
        for fmt in ("text", "markdown", "json"):
            result = run_cli(*args, "--format", fmt, cwd=root)
            assert result.returncode == 0 and "Traceback" not in result.stderr, (args, fmt, result.stderr)
    text = run_cli("calibrate", cycle, cwd=root).stdout
    assert "No composite" in text and "delivery: reviewers differ by 2 points" in text
    decided = run_cli("decide", packet, "--outcome", "not-yet", "--rationale", "r", "--feedback", "f", cwd=root)
    assert decided.returncode == 0, decided.stderr


# --- H3: the trust root is the base branch, never the change under review ------------------------


def _git(repo: Path, *args: str) -> str:
    import os
    import subprocess

    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


def _commit_all(repo: Path) -> str:
    if not (repo / ".git").exists():
        _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    return _git(repo, "rev-parse", "HEAD").strip()


def test_a_change_that_swaps_a_reviewers_key_cannot_make_its_forged_review_count(tmp_path: Path) -> None:
    from cyclekit import CycleHandbook, new_reviewer_key, write_packet

    hb = CycleHandbook(tmp_path / "handbook", tmp_path / "keys")
    root = hb.root
    edit(root / "site_config/handbook.yaml", "publish:\n", "publish:\n  acknowledge_private_packets: true\n")
    packet = write_packet(root, "pat", "Pat Doe")
    assert run_cli("assign", packet, "--reviewers", "bob,carol", cwd=root).returncode == 0
    base = _commit_all(root)
    # the change: bob's registered key replaced by the author's, and a review "by bob" signed with it
    (tmp_path / "mine").mkdir()
    mine, line = new_reviewer_key(tmp_path / "mine", "bob")
    settings = root / "site_config/handbook.yaml"
    old = next(x.strip() for x in settings.read_text().splitlines() if x.strip().startswith("- {id: bob,"))
    edit(settings, old, line)
    forge(root, packet, "bob", mine, (5, 5, 5))
    assert run_cli("validate", cwd=root).returncode == 0  # the change alone vouches for itself ...
    checked = run_cli("validate", "--trust-base", base, cwd=root)  # ... the base does not
    assert checked.returncode == 1, checked.stdout
    assert "pat.reviews/bob.yaml" in checked.stdout and "signed by another key" in checked.stdout
    assert "[reviewers-changed]" in checked.stdout
    unchanged = run_cli("validate", "--trust-base", base, cwd=root)
    assert "Traceback" not in unchanged.stderr


def test_a_change_to_packets_yaml_fails_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.workspace import handbook_ref

    assert run_cli("init", tmp_path / "hb", "--tool-source", "handbook==1.0.0", cwd=tmp_path).returncode == 0
    repo = tmp_path / "pk"
    made = run_cli(
        "init",
        "packets",
        repo,
        "--handbook",
        "https://github.com/org/handbook.git",
        "--tool-source",
        "handbook==1.0.0",
        "--owner",
        "@org/promotion-committee",
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    base = _commit_all(repo)
    monkeypatch.chdir(repo)
    env = {"GITHUB_SERVER_URL": "https://github.com"}
    assert handbook_ref.main(["--github", "--base", base], env) == 0
    edit(repo / "packets.yaml", "github.com/org/handbook", "github.com/evil/handbook")
    assert handbook_ref.main(["--github", "--base", base], env) == 1
    checked = run_cli("validate", "--trust-base", base, cwd=repo, env={"HANDBOOK_CHECKOUT": str(tmp_path / "hb")})
    assert checked.returncode == 1 and "edits packets.yaml" in checked.stderr + checked.stdout


@pytest.mark.parametrize(
    "platform, location, env, leaked",
    [
        ("--clone-url", "git@evil.example:org/handbook.git", {"CI_SERVER_HOST": "gitlab.com"}, "evil.example"),
        ("--clone-url", "https://gitlab.com/org/handbook.git", {}, "gitlab.com"),  # not in a pipeline: no host to trust
        ("--github", "https://gitlab.com/org/handbook.git", {"GITHUB_SERVER_URL": "https://github.com"}, "gitlab.com"),
        ("--github", "https://github.com/org/handbook.git\nref=evil", {}, "evil"),
    ],
)
def test_the_read_token_only_goes_to_the_ci_server(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    platform: str,
    location: str,
    env: dict[str, str],
    leaked: str,
) -> None:
    from generator.workspace import handbook_ref

    (tmp_path / "packets.yaml").write_text(f"handbook: {json.dumps(location)}\n")
    monkeypatch.chdir(tmp_path)
    assert handbook_ref.main([platform], {**env, "HANDBOOK_READ_TOKEN": "s3cret"}) == 1
    out, err = capsys.readouterr()
    assert "s3cret" not in out + err and "Traceback" not in err and leaked not in out


def test_the_handbook_ref_is_never_a_pull_requests_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from generator.workspace import handbook_ref

    (tmp_path / "packets.yaml").write_text('handbook: "https://github.com/org/handbook.git"\nref: refs/pull/7/head\n')
    monkeypatch.chdir(tmp_path)
    assert handbook_ref.main(["--github"], {}) == 1
    assert "packets.yaml:2:6" in capsys.readouterr().err


def test_handbook_ref_gives_the_checkout_on_the_ci_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from generator.workspace import handbook_ref

    (tmp_path / "packets.yaml").write_text('handbook: "git@gitlab.example.org:org/sub/handbook.git"\nref: v1.2\n')
    monkeypatch.chdir(tmp_path)
    assert (
        handbook_ref.main(["--clone-url"], {"CI_SERVER_HOST": "gitlab.example.org", "HANDBOOK_READ_TOKEN": "t/k"}) == 0
    )
    assert capsys.readouterr().out == "https://oauth2:t%2Fk@gitlab.example.org/org/sub/handbook.git\n"
    (tmp_path / "packets.yaml").write_text('handbook: "git@github.com:org/handbook.git"\nref: v1.2\n')
    assert handbook_ref.main(["--github"], {}) == 0
    assert capsys.readouterr().out == "repository=org/handbook\nref=v1.2\n"


# --- M2: one sealed block that cannot be opened does not stop the cycle --------------------------


def _sealed_block(path: Path) -> str:
    import yaml

    sealed: str = yaml.safe_load(path.read_text())["sealed"]
    return sealed


def _with_block(path: Path, block: str) -> None:
    text = path.read_text()
    edit(path, _sealed_block(path).rstrip("\n").replace("\n", "\n  "), block.rstrip("\n").replace("\n", "\n  "))
    assert block.strip() in text or _sealed_block(path).strip() == block.strip()


def test_a_corrupt_or_swapped_sealed_review_is_not_counted_and_the_cycle_goes_on(cycle: Cycle) -> None:
    import base64

    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    assert run_cli("assign", packets["bravo"], "--reviewers", "bob,carol,dan", cwd=team_a).returncode == 0
    for reviewer, ratings in (("bob", (2, 2, 2)), ("carol", (3, 3, 3)), ("dan", (4, 4, 4))):
        assert review(team_a, packets["bravo"], reviewer, hb.signing[reviewer], ratings, "fine").returncode == 0
    folder = team_a / f"packets/{CYCLE}/bravo.reviews"
    # bob's block: empty, valid-looking armor; carol's: dan's block swapped in; dan's: a good header, a broken body
    _with_block(folder / "bob.yaml", "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n")
    _with_block(folder / "carol.yaml", _sealed_block(folder / "dan.yaml"))
    raw = base64.b64decode("".join(_sealed_block(folder / "dan.yaml").strip().splitlines()[1:-1]))
    broken = base64.b64encode(raw[:-20] + bytes(20)).decode()
    _with_block(
        folder / "dan.yaml",
        "-----BEGIN AGE ENCRYPTED FILE-----\n"
        + "\n".join(broken[i : i + 64] for i in range(0, len(broken), 64))
        + "\n-----END AGE ENCRYPTED FILE-----\n",
    )
    checked = run_cli("validate", cwd=team_a)
    assert checked.returncode == 1 and "bravo.reviews/bob.yaml" in checked.stdout
    assert "cannot be opened" in checked.stdout
    status = as_json(run_cli("status", CYCLE, "--format", "json", cwd=team_a))
    assert next(p for p in status["packets"] if p["slug"] == "bravo")["counted"] == 2  # bob's is known broken
    row = _calibrated(team_a, hb.identities[0])["bravo"]
    whys = {r["reviewer"]: r["unverified"] for r in row["reviewers"]}
    assert row["reviews_in"] == 0 and all(whys.values()), whys
    assert "cannot be opened" in whys["bob"] and "does not match" in whys["carol"] and "cannot be opened" in whys["dan"]
    hb.add_member("Later")
    resealed = run_cli("reseal", CYCLE, "--identity", hb.identities[0], cwd=team_a)
    assert resealed.returncode == 0 and "not resealed" in resealed.stdout and "Traceback" not in resealed.stderr


# --- L1: no shape of review input crashes ---------------------------------------------------------


@pytest.mark.parametrize(
    "draft, flags, where",
    [
        (None, ("--rating", "delivery=²"), "--rating"),
        (None, ("--rating", "delivery=٣"), "--rating"),
        ("ratings: [1, 2]\n", (), ":1:10:"),
        ("ratings: 5\n", ("--rating", "delivery=3"), ":1:10:"),
        ("ratings: [[a, b, c]]\n", ("--note", "delivery=x"), ":1:10:"),
        ("ratings:\n  delivery: 4\n", ("--note", "delivery=x"), ":2:13:"),
        ("ratings:\n  delivery: {rating: 4}\ncriteria: oops\n", ("--met", "x=y"), ":3:11:"),
        ("ratings:\n  delivery: {rating: 4}\ncounterexamples: {a: 1}\n", ("--counterexample", "c"), ":3:18:"),
        ("[1, 2]\n", (), "must be a mapping"),
    ],
)
def test_any_shape_of_review_input_gives_an_error_not_a_traceback(
    cycle: Cycle, tmp_path: Path, draft: str | None, flags: tuple[str, ...], where: str
) -> None:
    hb, repos, packets, _ = cycle
    assert run_cli("assign", packets["alpha"], "--reviewers", "bob,carol", cwd=repos["team-a"]).returncode == 0
    extra: tuple[str | Path, ...] = ()
    if draft is not None:
        (tmp_path / "draft.yaml").write_text(draft)
        extra = ("--from", tmp_path / "draft.yaml")
    result = run_cli(
        "review",
        packets["alpha"],
        "--reviewer",
        "bob",
        "--signing-key",
        hb.signing["bob"],
        *extra,
        *flags,
        cwd=repos["team-a"],
    )
    assert result.returncode in (1, 2) and "Traceback" not in result.stderr, result.stderr
    assert where in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) <= 3, result.stderr
    assert not (repos["team-a"] / f"packets/{CYCLE}/alpha.reviews").exists()


# --- M1: a signature binds the packet as reviewed and the version it replaces ---------------------


def test_evidence_rewritten_after_the_reviews_makes_them_stop_counting(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    assert run_cli("assign", packets["bravo"], "--reviewers", "bob,carol", cwd=team_a).returncode == 0
    assert review(team_a, packets["bravo"], "bob", hb.signing["bob"], (4, 4, 4), "fine").returncode == 0
    assert run_cli("validate", cwd=team_a).returncode == 0
    import yaml

    data = yaml.safe_load(packets["bravo"].read_text())
    data["evidence"][0]["impact"] = "Rewritten after the reviews: much grander now."
    packets["bravo"].write_text(yaml.safe_dump(data, sort_keys=False))
    checked = run_cli("validate", cwd=team_a)
    assert checked.returncode == 1 and "the packet was edited after this review was signed" in checked.stdout
    # the committee's own blocks are not the candidate's packet: deciding does not void the reviews
    packets["bravo"].write_text(yaml.safe_dump(data | {"decision": {"status": "submitted"}}, sort_keys=False))
    assert review(team_a, packets["bravo"], "bob", hb.signing["bob"], (4, 4, 4), "again", "--replace").returncode == 0
    decided = run_cli(
        "decide", packets["bravo"], "--outcome", "withdrawn", "--rationale", "r", "--feedback", "f", cwd=team_a
    )
    assert decided.returncode == 0, decided.stderr
    assert run_cli("validate", cwd=team_a).returncode == 0


def test_an_older_signed_review_put_back_is_refused_against_the_base(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    assert run_cli("assign", packets["bravo"], "--reviewers", "bob,carol", cwd=team_a).returncode == 0
    assert review(team_a, packets["bravo"], "bob", hb.signing["bob"], (5, 5, 5), "first").returncode == 0
    path = team_a / review_file(f"packets/{CYCLE}/bravo.yaml", "bob")
    first = path.read_text()
    _commit_all(team_a)
    assert review(team_a, packets["bravo"], "bob", hb.signing["bob"], (2, 2, 2), "second", "--replace").returncode == 0
    base = _commit_all(team_a)
    env = {"HANDBOOK_CHECKOUT": str(hb.root)}
    path.write_text(first)  # git checkout HEAD~1 -- bob.yaml
    checked = run_cli("validate", "--trust-base", base, cwd=team_a, env=env)
    assert checked.returncode == 1 and "[review-rollback]" in checked.stdout, checked.stdout
    _git(team_a, "checkout", "--", str(path))  # bob's latest again; he replaces it, which is allowed
    assert review(team_a, packets["bravo"], "bob", hb.signing["bob"], (3, 3, 3), "third", "--replace").returncode == 0
    assert run_cli("validate", "--trust-base", base, cwd=team_a, env=env).returncode == 0


# --- M3: conflict rules rest on the committee's records and on names compared fairly -------------


def test_names_that_differ_only_in_accents_or_compatibility_forms_are_one_person() -> None:
    from generator.check.conflicts import person_key

    assert person_key("Mallory Évil") == person_key("Mallory Evil") == person_key("mallory-evil")
    assert person_key("Ｍａｌｌｏｒｙ Evil") == person_key("Mallory Evil")
    assert person_key("Ольга Петрова") != "" and person_key("Ольга Петрова") == person_key("ольга  петрова")


def test_a_registered_reviewer_named_as_the_candidate_is_refused_whatever_the_accents(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    settings = hb.root / "site_config/handbook.yaml"
    line = next(x for x in settings.read_text().splitlines() if x.strip().startswith("- {id: erin,"))
    edit(settings, line, line.replace("{id: erin,", "{id: erin, name: Mallory Evil,"))
    edit(packets["bravo"], "candidate: Ben Bravo", "candidate: Mallory Évil")
    refused = run_cli("assign", packets["bravo"], "--reviewers", "erin,bob", cwd=team_a)
    assert refused.returncode == 1 and "erin: it is their own packet" in refused.stderr


def test_the_committee_records_who_the_candidate_and_manager_are(cycle: Cycle) -> None:
    import yaml

    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    text = packets["bravo"].read_text().replace("candidate_id: bravo\n", "")
    packets["bravo"].write_text(text)  # the candidate left out who they are, and names no manager
    unknown = run_cli("assign", packets["bravo"], "--reviewers", "bob,carol", cwd=team_a)
    assert unknown.returncode == 1 and "--candidate-id" in unknown.stderr
    manager = run_cli(
        "assign",
        packets["bravo"],
        "--reviewers",
        "bob,dan",
        "--candidate-id",
        "ben-bravo",
        "--manager",
        "dan",
        cwd=team_a,
    )
    assert manager.returncode == 1 and "dan: they are the candidate's manager" in manager.stderr
    done = run_cli(
        "assign",
        packets["bravo"],
        "--reviewers",
        "bob,carol",
        "--candidate-id",
        "ben-bravo",
        "--manager",
        "dan",
        cwd=team_a,
    )
    assert done.returncode == 0, done.stderr
    entry = yaml.safe_load((team_a / f"packets/{CYCLE}/assignments.yaml").read_text())["packets"]["bravo"]
    assert entry["candidate_id"] == "ben-bravo" and entry["manager"] == "dan"
    # a later review by the manager, written by hand, does not count: the record is the committee's
    forge(team_a, packets["bravo"], "dan", hb.signing["dan"], (5, 5, 5))
    checked = run_cli("validate", cwd=team_a)
    assert checked.returncode == 1 and "dan' does not count: they are the candidate's manager" in checked.stdout


# --- M5, M6: every generated workflow is pinned, quoted, least-privileged, installs from the base --


def _generated_ci(tmp_path: Path) -> tuple[dict[str, dict[Any, Any]], dict[str, Any]]:  # YAML 1.1: a key may be True
    import yaml

    assert run_cli("init", tmp_path / "hb", "--tool-source", "handbook==1.0.0", cwd=tmp_path).returncode == 0
    made = run_cli(
        "init",
        "packets",
        tmp_path / "pk",
        "--handbook",
        "https://github.com/org/handbook.git",
        "--tool-source",
        "handbook==1.0.0",
        "--owner",
        "@org/promotion-committee",
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    workflows: dict[str, dict[Any, Any]] = {
        str(p.relative_to(tmp_path)): yaml.safe_load(p.read_text())
        for p in sorted(tmp_path.glob("*/.github/workflows/*.yml"))
    }
    assert len(workflows) == 4
    gitlab: dict[str, Any] = yaml.safe_load((tmp_path / "pk/.gitlab-ci.yml").read_text())
    return workflows, gitlab


def test_generated_github_workflows_are_pinned_quoted_and_least_privileged(tmp_path: Path) -> None:
    import re

    workflows, _ = _generated_ci(tmp_path)
    for name, flow in workflows.items():
        assert set(flow.get("permissions", {}).values()) <= {"read"}, name  # writes only per job
        triggers = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads `on` as true
        for job_id, job in flow["jobs"].items():
            writes = {k for k, v in job.get("permissions", {}).items() if v == "write"}
            assert writes <= {"deploy": {"pages", "id-token"}, "status": {"issues"}}.get(job_id, set()), (name, job_id)
            for step in job["steps"]:
                if "uses" in step:
                    assert re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", step["uses"]), (name, step["uses"])
                if "run" in step:
                    assert "${{" not in step["run"], (name, step["run"])  # untrusted values go through env
                    if "pull_request" in triggers and "pip install" in step["run"]:
                        assert 'git show "$BASE_SHA:requirements.txt"' in step["run"], (name, step["run"])
                        assert "-r requirements.txt" not in step["run"], (name, step["run"])


def test_the_generated_gitlab_pipeline_installs_from_the_base_and_keeps_the_api_token_to_its_job(
    tmp_path: Path,
) -> None:
    _, gitlab = _generated_ci(tmp_path)
    script = "\n".join(gitlab["default"]["before_script"])
    assert 'git show "$BASE:requirements.txt"' in script and "-r requirements.txt" not in script
    assert "HANDBOOK_GITLAB_TOKEN" not in str(gitlab["validate"])
    readme = (tmp_path / "pk/README.md").read_text()
    assert "HANDBOOK_GITLAB_TOKEN" in readme and "protected" in readme.split("HANDBOOK_GITLAB_TOKEN", 1)[1][:300]


# --- M4: the per-cycle limit of packets per reviewer holds across repositories -------------------


def test_the_reviewer_limit_counts_every_repository_of_the_cycle(cycle: Cycle, tmp_path: Path) -> None:
    from cyclekit import write_packet

    hb, repos, packets, manifest = cycle
    delta = write_packet(repos["team-b"], "delta", "Dee Delta")
    for slug, repo in (("alpha", "team-a"), ("bravo", "team-a"), ("charlie", "team-b")):
        assert run_cli("assign", packets[slug], "--reviewers", "bob,carol", cwd=repos[repo]).returncode == 0
    refused = run_cli("assign", delta, "--reviewers", "bob,erin", "--manifest", manifest, cwd=repos["team-b"])
    assert (
        refused.returncode == 1 and "bob: they already review 3 packet(s) this cycle, the limit is 3" in refused.stderr
    )
    # without the manifest one repository cannot see the others: status across them flags it
    assert run_cli("assign", delta, "--reviewers", "bob,erin", cwd=repos["team-b"]).returncode == 0
    status = as_json(run_cli("status", CYCLE, "--format", "json", "--manifest", manifest, cwd=tmp_path))
    assert status["overloaded"] == [{"reviewer": "bob", "packets": 4, "limit": 3}]
    text = run_cli("status", CYCLE, "--manifest", manifest, cwd=tmp_path).stdout
    assert "bob is assigned 4 packets, the limit is 3" in text


# --- L4: the tracking issue is only ever our own --------------------------------------------------


@pytest.fixture
def issues_api() -> Iterator[dict[str, Any]]:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from generator.actions.ci_comment import STATUS_MARKER

    marker = STATUS_MARKER.format(cycle=CYCLE)
    state: dict[str, Any] = {  # the tests read writes and set issues
        "writes": [],
        "issues": [
            {
                "number": 5,
                "iid": 5,
                "body": f"{marker} planted",
                "description": f"{marker} planted",
                "user": {"login": "mallory"},
                "author": {"id": 99},
            }
        ],
    }

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            path = self.path.partition("?")[0]
            if self.command != "GET":
                state["writes"].append((self.command, path))
            payload = (
                {"id": 7}
                if path.endswith("/user")
                else state["issues"]
                if self.command == "GET"
                else {"number": 6, "iid": 6}
            )
            raw = json.dumps(payload).encode()
            self.send_response(200 if self.command == "GET" else 201)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PATCH = do_PUT = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_a_planted_issue_with_the_marker_is_never_edited(issues_api: dict[str, Any], platform: str) -> None:
    from generator.actions.ci_comment import post_tracking_issue

    env = (
        {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "acme/packets", "GITHUB_API_URL": issues_api["url"]}
        if platform == "github"
        else {"HANDBOOK_GITLAB_TOKEN": "t", "CI_PROJECT_ID": "42", "CI_API_V4_URL": f"{issues_api['url']}/api/v4"}
    )
    outcome = post_tracking_issue(platform, CYCLE, "title", "body", env)
    assert outcome.action == "created", outcome
    assert all(method == "POST" for method, _ in issues_api["writes"]), issues_api["writes"]


# --- L2, L3, L5, L6: decisions, dates, keys, modelines and which option is wrong ------------------


def _decided_bravo(hb: CycleHandbook, team_a: Path, packets: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    assert run_cli("assign", packets["bravo"], "--reviewers", "bob,carol", cwd=team_a).returncode == 0
    assert review(team_a, packets["bravo"], "bob", hb.signing["bob"], (3, 3, 3), "no").returncode == 0
    return run_cli(
        "decide",
        packets["bravo"],
        "--outcome",
        "withdrawn",
        "--rationale",
        "y",
        "--feedback",
        "n",
        "--identity",
        hb.identities[0],
        cwd=team_a,
    )


def test_decisions_are_written_once_and_plain_words_stay_words(cycle: Cycle) -> None:
    import yaml

    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    decided = _decided_bravo(hb, team_a, packets)
    assert decided.returncode == 0, decided.stderr  # "y" and "n" were refused as ambiguous YAML once
    assert yaml.safe_load(packets["bravo"].read_text())["decision"]["feedback"] == "n"
    row = _calibrated(team_a, hb.identities[0])["bravo"]  # the sealed note "no" opens as text
    assert [r["notes"][0] for r in row["reviewers"] if r["reviewer"] == "bob"] == ["no"]
    again = run_cli(
        "decide", packets["bravo"], "--outcome", "promoted", "--rationale", "r", "--feedback", "f", cwd=team_a
    )
    assert again.returncode == 1 and "already decided" in again.stderr
    edit(packets["bravo"], "status: withdrawn", "status: not-yet")
    assert run_cli("appeal", packets["bravo"], "--reason", "missed work", cwd=team_a).returncode == 0
    pending = run_cli(
        "decide", packets["bravo"], "--outcome", "promoted", "--rationale", "r", "--feedback", "f", cwd=team_a
    )
    assert pending.returncode == 1 and "pending appeal" in pending.stderr


def test_an_effective_date_before_the_cycle_is_refused(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    result = run_cli(
        "decide",
        packets["alpha"],
        "--outcome",
        "withdrawn",
        "--rationale",
        "r",
        "--feedback",
        "f",
        "--effective",
        "1900-01-01",
        cwd=repos["team-a"],
    )
    assert result.returncode == 2 and "--effective" in result.stderr and "before cycle" in result.stderr


def test_reviews_close_with_the_decision_and_never_come_from_the_future(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    assert _decided_bravo(hb, team_a, packets).returncode == 0
    late = review(team_a, packets["bravo"], "carol", hb.signing["carol"], (5, 5, 5), "late", "--today", "2031-01-01")
    assert late.returncode == 1 and "reviews close" in late.stderr
    forge(team_a, packets["bravo"], "carol", hb.signing["carol"], (5, 5, 5), today="2031-01-01")
    checked = run_cli("validate", cwd=team_a)
    assert checked.returncode == 1 and "carol.yaml" in checked.stdout and "after today" in checked.stdout
    forge(team_a, packets["bravo"], "carol", hb.signing["carol"], (5, 5, 5), today="2026-11-28")
    edit(packets["bravo"], "status: withdrawn", "status: not-yet")
    import yaml

    data = yaml.safe_load(packets["bravo"].read_text())
    data["decision"]["date"] = "2026-11-25"
    packets["bravo"].write_text(yaml.safe_dump(data, sort_keys=False))
    after = run_cli("validate", cwd=team_a)
    assert "after the decision of 2026-11-25" in after.stdout


def test_a_committee_key_needs_a_name(tmp_path: Path) -> None:
    result = run_cli("keys", "new", "--committee", " ", "--out", tmp_path / "k", cwd=tmp_path)
    assert result.returncode == 2 and "--committee" in result.stderr and not (tmp_path / "k").exists()


def test_files_written_in_a_packets_repository_point_at_schemas_it_has(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    made = run_cli("new", "packet", "--candidate", "Nia New", "--target", "ic3", cwd=team_a)
    assert made.returncode == 0, made.stderr
    assert run_cli("assign", packets["bravo"], "--reviewers", "bob,carol", cwd=team_a).returncode == 0
    assert review(team_a, packets["bravo"], "bob", hb.signing["bob"], (3, 3, 3), "fine").returncode == 0
    written = [
        *team_a.glob("packets/*/nia-new.yaml"),
        team_a / f"packets/{CYCLE}/assignments.yaml",
        team_a / review_file(f"packets/{CYCLE}/bravo.yaml", "bob"),
    ]
    for path in written:
        line = next(x for x in path.read_text().splitlines() if "yaml-language-server" in x)
        target = (path.parent / line.split("$schema=")[1]).resolve()
        assert target.is_file(), (path, line)


def test_text_given_on_the_command_line_is_blamed_on_its_option(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    result = run_cli(
        "decide",
        packets["alpha"],
        "--outcome",
        "withdrawn",
        "--rationale",
        "x" * 20000,
        "--feedback",
        "f",
        cwd=repos["team-a"],
    )
    assert result.returncode == 2 and result.stderr.startswith("error: --rationale:"), result.stderr
    filed = run_cli("appeal", packets["alpha"], "--reason", "r", cwd=repos["team-a"])
    assert filed.returncode == 1  # not decided: nothing to appeal
