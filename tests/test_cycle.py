"""A whole promotion cycle across a handbook and two packets repositories, keys made in the test:
assignment under conflict rules, signed and sealed reviews, a forged review caught, status with
owed reviews, a committee member added and reseal, calibrate, decisions (one against the numbers),
an appeal, stats --export, and a public build that shows aggregates only."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import edit
from conftest import invoke as run_cli
from cyclekit import CANDIDATES, CYCLE, Cycle, CycleHandbook, as_json, make_cycle, packet_of, review, write_packet

from generator.actions.keys import new_reviewer_key
from generator.actions.reviews import signed_review
from generator.check.reviews import packet_digest, review_file
from generator.workspace.workspace import Workspace

SECRET = "zebra-cycle-secret"


@pytest.fixture
def cycle(tmp_path: Path) -> Cycle:
    return make_cycle(tmp_path)


def test_a_whole_cycle(cycle: Cycle, tmp_path: Path) -> None:
    hb, repos, packets, manifest = cycle
    team_a, team_b = repos["team-a"], repos["team-b"]

    # assignment: the candidate's manager is refused, and nothing is written
    refused = run_cli("assign", packets["alpha"], "--reviewers", "bob,carol,dan", cwd=team_a)
    assert refused.returncode == 1 and "dan: they are the candidate's manager" in refused.stderr
    assert not (team_a / f"packets/{CYCLE}/assignments.yaml").exists()
    for slug, who, repo in (
        ("alpha", "bob,carol,erin", team_a),
        ("bravo", "bob,carol,dan", team_a),
        ("charlie", "bob,carol,dan", team_b),
    ):
        assigned = run_cli("assign", packets[slug], "--reviewers", who, cwd=repo)
        assert assigned.returncode == 0, assigned.stderr

    # signed, sealed reviews (dan has not reviewed charlie yet)
    plan = {
        "alpha": {"bob": (4, 4, 4), "carol": (4, 4, 4), "erin": (4, 4, 4)},
        "bravo": {"bob": (2, 2, 2), "carol": (2, 2, 3), "dan": (2, 2, 2)},
        "charlie": {"bob": (3, 2, 3), "carol": (2, 2, 3)},
    }
    for slug, reviews in plan.items():
        repo = team_a if slug != "charlie" else team_b
        for reviewer, ratings in reviews.items():
            written = review(repo, packets[slug], reviewer, hb.signing[reviewer], ratings, f"{SECRET} {reviewer}")
            assert written.returncode == 0, written.stderr
            assert "signed by" in written.stdout and "sealed to 1 committee member(s)" in written.stdout
    bravo_dan = team_a / review_file(f"packets/{CYCLE}/bravo.yaml", "dan")
    assert SECRET not in bravo_dan.read_text()
    assert run_cli("validate", cwd=team_a).returncode == 0

    # the candidate tries to replace dan's review: refused without dan's key ...
    own_key = tmp_path / "keys" / "mallory"
    new_reviewer_key(own_key, "mallory")
    forged = review(team_a, packets["bravo"], "dan", own_key, (5, 5, 5), "forged", "--replace")
    assert forged.returncode == 1 and "not the key registered for dan" in forged.stderr
    # ... so they write the file by hand, signed with their own key: validate and calibrate catch it
    from generator.actions.keys import load_signing_key

    space = Workspace(hb.root, hb_today(), team_a)
    process = space.cycle_handbook.settings.review_process
    header = {
        "reviewer": "dan",
        "packet": "bravo",
        "date": "2026-11-20",
        "packet_digest": packet_digest(packet_of(space.cycle_handbook, f"packets/{CYCLE}/bravo.yaml")),
    }
    body = {"ratings": {"delivery": {"rating": 5}, "reliability": {"rating": 5}, "collaboration": {"rating": 5}}}
    original = bravo_dan.read_text()
    bravo_dan.write_text(
        signed_review(
            review_file(f"packets/{CYCLE}/bravo.yaml", "dan"),
            f"packets/{CYCLE}/bravo.yaml",
            header,
            body,
            process,
            load_signing_key(own_key),
        )
    )
    caught = run_cli("validate", cwd=team_a)
    assert caught.returncode == 1
    assert "bravo.reviews/dan.yaml" in caught.stdout and "the review by 'dan' does not count" in caught.stdout
    assert "signed by another key" in caught.stdout
    shown = run_cli("calibrate", CYCLE, "--identity", hb.identities[0], cwd=team_a)
    assert shown.returncode == 0, shown.stderr
    assert "dan" in shown.stdout and "NOT COUNTED: signed by another key" in shown.stdout
    assert "Composite 2 " in shown.stdout or "Composite 2.0" in shown.stdout or "composite 2" in shown.stdout.lower()
    bravo_dan.write_text(original)  # the real review is back (git checkout in real life)

    # status across both repositories: who owes what, by when
    status = as_json(run_cli("status", CYCLE, "--format", "json", "--manifest", manifest, cwd=tmp_path))
    rows = {p["slug"]: p for p in status["packets"]}
    assert set(rows) == {"alpha", "bravo", "charlie"}
    assert rows["charlie"]["owed_by"] == ["dan"] and rows["charlie"]["repository"] == "team-b"
    assert rows["alpha"]["owed_by"] == [] and rows["alpha"]["counted"] == 3
    assert status["due"] == "2026-12-11" and status["days_left"] == 13
    assert status["owed"] == [{"reviewer": "dan", "handle": None, "packets": [f"packets/{CYCLE}/charlie.yaml"]}]
    text = run_cli("status", CYCLE, "--manifest", manifest, cwd=tmp_path).stdout
    assert "Reviews owed:" in text and "dan: packets/2026-h2/charlie.yaml" in text
    markdown = run_cli("status", CYCLE, "--format", "markdown", cwd=team_b).stdout
    assert "| packets/2026&#45;h2/charlie&#46;yaml |" in markdown and "team-a" not in markdown
    done = review(team_b, packets["charlie"], "dan", hb.signing["dan"], (3, 2, 2), f"{SECRET} dan")
    assert done.returncode == 0, done.stderr

    # a member joins: validate names reseal; after it, the new member opens everything
    newcomer = hb.add_member("Newcomer")
    drift = run_cli("validate", cwd=team_a)
    assert drift.returncode == 0 and f"handbook reseal {CYCLE} --identity" in drift.stdout
    locked = run_cli("calibrate", CYCLE, "--identity", newcomer, cwd=team_a)
    assert locked.returncode == 1 and "cannot open" in locked.stderr
    for repo in (team_a, team_b):
        resealed = run_cli("reseal", CYCLE, "--identity", hb.identities[0], cwd=repo)
        assert resealed.returncode == 0, resealed.stderr
    after = run_cli("validate", cwd=team_a)
    assert after.returncode == 0 and "reseal" not in after.stdout  # signatures still valid, recipients current
    cal = run_cli("calibrate", CYCLE, "--identity", newcomer, "--manifest", manifest, cwd=tmp_path)
    assert cal.returncode == 0, cal.stderr
    assert "UNVERIFIED" not in cal.stdout and f"{SECRET} dan" in cal.stdout and "charlie" in cal.stdout

    # decisions: bravo promoted against the numbers needs the discussion and a rationale
    ok = run_cli(
        "decide",
        packets["alpha"],
        "--outcome",
        "promoted",
        "--rationale",
        "Clear case.",
        "--feedback",
        "Well done.",
        "--identity",
        newcomer,
        cwd=team_a,
    )
    assert ok.returncode == 0, ok.stderr
    against = (
        "decide",
        packets["bravo"],
        "--outcome",
        "promoted",
        "--rationale",
        "The committee weighed the migration's scope, which the ratings undervalue.",
        "--feedback",
        "Promoted.",
        "--effective",
        "2027-01-01",
        "--identity",
        newcomer,
    )
    refused = run_cli(*against, cwd=team_a)
    assert (
        refused.returncode == 1
        and "numbers and narrative disagree" in refused.stderr
        and "--discussed" in refused.stderr
    )
    assert run_cli(*against, "--discussed", cwd=team_a).returncode == 0
    decision = yaml.safe_load(packets["bravo"].read_text())["decision"]
    assert decision["status"] == "promoted" and decision["effective"] == "2027-01-01"
    assert decision["against_numbers"].startswith("numbers and narrative disagree")
    assert (
        run_cli(
            "decide",
            packets["charlie"],
            "--outcome",
            "not-yet",
            "--rationale",
            "Reliability not yet shown.",
            "--feedback",
            "Own an SLO for a quarter.",
            "--identity",
            newcomer,
            cwd=team_b,
        ).returncode
        == 0
    )
    for path in packets.values():
        assert SECRET not in path.read_text()  # no sealed content in a decision

    # an appeal and its resolution
    assert run_cli("appeal", packets["charlie"], "--reason", "The SLO work was missed.", cwd=team_b).returncode == 0
    resolved = run_cli(
        "appeal", packets["charlie"], "--resolve", "upheld", "--rationale", "Reviewed again.", cwd=team_b
    )
    assert resolved.returncode == 0, resolved.stderr
    appeal = yaml.safe_load(packets["charlie"].read_text())["appeal"]
    assert appeal["status"] == "upheld" and appeal["reason"] == "The SLO work was missed."
    assert run_cli("validate", cwd=team_b).returncode == 0

    # aggregates only go back to the handbook, and its public build shows only them
    edit(hb.root / "site_config/handbook.yaml", "publish:\n", "publish:\n  minimum_group_size: 3\n")
    export = hb.root / "site_config" / "process-health.json"
    exported = run_cli("stats", "--export", export, "--manifest", manifest, "--today", "2026-12-20", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    figures = export.read_text()
    assert CYCLE in figures
    for marker in (*CANDIDATES.values(), *CANDIDATES, SECRET, "dan", "bob"):
        assert marker not in figures, marker
    json.loads(figures)
    site = tmp_path / "public"
    built = run_cli("build", "--site-dir", site, cwd=hb.root)
    assert built.returncode == 0, built.stderr
    for path in site.rglob("*.html"):
        page = path.read_text("utf-8")
        for marker in (*CANDIDATES.values(), SECRET):
            assert marker not in page, (path, marker)


def hb_today() -> date:
    from datetime import date

    return date(2026, 11, 28)


def test_an_unregistered_reviewer_and_an_unsigned_review_do_not_count(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    assert run_cli("assign", packets["alpha"], "--reviewers", "bob,carol", cwd=team_a).returncode == 0
    unsigned = run_cli("review", packets["alpha"], "--reviewer", "bob", "--rating", "delivery=3", cwd=team_a)
    assert unsigned.returncode == 1 and "pass --signing-key" in unsigned.stderr
    stranger = run_cli(
        "review",
        packets["alpha"],
        "--reviewer",
        "zed",
        "--signing-key",
        hb.signing["bob"],
        "--rating",
        "delivery=3",
        cwd=team_a,
    )
    assert stranger.returncode == 1 and "'zed' is not a registered reviewer" in stranger.stderr
    path = team_a / review_file(f"packets/{CYCLE}/alpha.yaml", "bob")
    path.parent.mkdir(parents=True)
    written = review(team_a, packets["alpha"], "bob", hb.signing["bob"], (3, 3, 3), "fine")
    assert written.returncode == 0, written.stderr
    data = yaml.safe_load(path.read_text())
    data.pop("signature")
    path.write_text(yaml.safe_dump(data))
    result = run_cli("validate", cwd=team_a)
    assert result.returncode == 1 and "the review by 'bob' does not count: unsigned" in result.stdout


def test_the_candidate_can_never_be_assigned_their_own_packet(cycle: Cycle) -> None:
    hb, repos, packets, _ = cycle
    edit(packets["bravo"], "candidate_id: bravo", "candidate_id: erin")
    refused = run_cli("assign", packets["bravo"], "--reviewers", "erin,bob", cwd=repos["team-a"])
    assert refused.returncode == 1 and "erin: it is their own packet" in refused.stderr
    hand = repos["team-a"] / f"packets/{CYCLE}/assignments.yaml"
    hand.write_text(f"cycle: {CYCLE}\npackets:\n  bravo:\n    reviewers: [erin, bob]\n    assigned: 2026-11-20\n")
    result = run_cli("validate", cwd=repos["team-a"])
    assert result.returncode == 1 and "assignments.yaml:4:17:" in result.stdout and "own packet" in result.stdout


@pytest.mark.parametrize("layout", ["single", "packets"])
def test_every_cycle_command_works_in_both_layouts(layout: str, tmp_path: Path) -> None:
    hb = CycleHandbook(tmp_path / "handbook", tmp_path / "keys")
    repo = hb.root
    if layout == "packets":
        repo = tmp_path / "packets-repo"
        assert run_cli("init", "packets", repo, "--handbook", hb.root, cwd=tmp_path).returncode == 0
    else:
        edit(hb.root / "site_config/handbook.yaml", "publish:\n", "publish:\n  acknowledge_private_packets: true\n")

    def ok(*args: str | Path) -> str:
        result = run_cli(*args, cwd=repo)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    ok("new", "packet", "--candidate", "Nia New", "--target", "ic3")
    packet = write_packet(repo, "pat", "Pat Doe")
    ok("readiness", packet)
    ok("assign", packet, "--reviewers", "bob,carol,dan")
    for reviewer, ratings in (("bob", (4, 4, 4)), ("carol", (4, 3, 4))):
        written = review(repo, packet, reviewer, hb.signing[reviewer], ratings, "fine")
        assert written.returncode == 0, written.stderr
    assert "dan: packets/2026-h2/pat.yaml" in ok("status", CYCLE)
    assert "bob" in ok("calibrate", CYCLE, "--identity", hb.identities[0])
    hb.add_member("Later")
    ok("reseal", CYCLE, "--identity", hb.identities[0])
    ok(
        "decide",
        packet,
        "--outcome",
        "promoted",
        "--rationale",
        "Clear.",
        "--feedback",
        "Well done.",
        "--identity",
        hb.identities[1],
    )
    ok("appeal", packet, "--reason", "A factual error.")
    ok("reveal", CYCLE, "--identity", hb.identities[1])
    revealed = (repo / "packets/2026-h2/pat.reviews/bob.yaml").read_text()
    assert "rating: 4" in revealed and "signature" in revealed
    ok("validate")  # the revealed reviews still verify
    ok("stats")
    ok("build", "--include-private")
    assert (repo / "site-internal").is_dir()


def test_a_draft_error_points_at_the_drafts_line_and_column(cycle: Cycle, tmp_path: Path) -> None:
    hb, repos, packets, _ = cycle
    assert run_cli("assign", packets["alpha"], "--reviewers", "bob,carol", cwd=repos["team-a"]).returncode == 0
    draft = tmp_path / "draft.yaml"
    draft.write_text(
        "ratings:\n  delivery:\n    rating: 4\n  reliability:\n    rating: 9\n"
        "criteria:\n  - criterion: nope-criterion\n    judgement: met\n"
    )
    result = run_cli(
        "review",
        packets["alpha"],
        "--reviewer",
        "bob",
        "--signing-key",
        hb.signing["bob"],
        "--from",
        draft,
        cwd=repos["team-a"],
    )
    assert result.returncode == 1
    assert f"{draft}:5:13: error:" in result.stderr, result.stderr
    assert not (repos["team-a"] / "packets/2026-h2/alpha.reviews").exists()


def test_one_mistake_in_the_committee_settings_gives_one_error(cycle: Cycle) -> None:
    hb, repos, _, _ = cycle
    settings = hb.root / "site_config/handbook.yaml"
    member = hb.member_lines[0]
    recipient = member.split("recipient: ")[1].rstrip("}")
    edit(settings, member, f"- {recipient}")  # the README once showed plain strings
    result = run_cli("validate", cwd=repos["team-a"])
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 1 and len(errors) == 1, result.stdout
    assert errors[0].startswith("site_config/handbook.yaml:") or "handbook.yaml" in errors[0]


def test_signatures_interoperate_with_ssh_keygen(tmp_path: Path) -> None:
    """The signature format is OpenSSH's SSHSIG: `ssh-keygen -Y verify` accepts ours and we accept its."""
    import shutil
    import subprocess

    from generator.actions.keys import load_signing_key, new_reviewer_key
    from generator.check.signatures import NAMESPACE, sign, verify

    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    key = tmp_path / "k"
    line = new_reviewer_key(key, "bob")
    message = tmp_path / "message"
    message.write_bytes(b'{"reviewer":"bob"}')
    ours = tmp_path / "ours.sig"
    ours.write_text(sign(load_signing_key(key), message.read_bytes()))
    (tmp_path / "allowed").write_text(f"bob {line}\n")
    checked = subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", str(tmp_path / "allowed"), "-I", "bob", "-n", NAMESPACE, "-s", str(ours)],
        input=message.read_bytes(),
        capture_output=True,
    )
    assert checked.returncode == 0, checked.stderr
    subprocess.run(
        ["ssh-keygen", "-q", "-Y", "sign", "-f", str(key), "-n", NAMESPACE, str(message)],
        check=True,
        capture_output=True,
    )
    theirs = (tmp_path / "message.sig").read_text()
    assert verify(theirs, line, message.read_bytes()) is None
    assert verify(theirs, line, b"something else") is not None
