"""`handbook new packet` and `handbook readiness` through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import REPO, edit, invoke

FIXTURE = Path(__file__).parent / "fixtures" / "packets" / "fixture-staff.yaml"


def test_new_packet_validates_lists_criteria_and_refuses_to_overwrite(repo: Path) -> None:
    result = invoke("new", "packet", "--candidate", "Zoë Müller", "--target", "ic4", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "Created packets/2026-h2/zoe-muller.yaml" in result.stdout
    path = repo / "packets/2026-h2/zoe-muller.yaml"
    text = path.read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../generator/check/schemas/packet.schema.json\n")
    assert 'candidate: "Zoë Müller"' in text and "visibility: private" in text
    assert "current_level: ic3" in text and "criteria_version: 1.3.0" in text
    for criterion in ("del-ic4-cross-team", "rel-ic4-failure-modes", "col-ic4-sponsorship"):
        assert f"#     {criterion}: " in text
    assert invoke("validate", str(path), cwd=repo).returncode == 0
    path.write_text(text + "# my edits\n", "utf-8")
    again = invoke("new", "packet", "--candidate", "Zoë Müller", "--target", "ic4", cwd=repo)
    assert again.returncode == 1 and "already exists; refusing to overwrite" in again.stderr
    assert path.read_text("utf-8").endswith("# my edits\n")


def test_new_packet_bad_levels(repo: Path) -> None:
    first = invoke("new", "packet", "--candidate", "A", "--target", "ic1", cwd=repo)
    assert first.returncode == 1 and "first level of its track" in first.stderr
    unknown = invoke("new", "packet", "--candidate", "A", "--target", "ic9", cwd=repo)
    assert unknown.returncode == 1 and "unknown level 'ic9'" in unknown.stderr
    cycle = invoke("new", "packet", "--candidate", "A", "--target", "ic2", "--cycle", "1999-h1", cwd=repo)
    assert cycle.returncode == 1 and "unknown cycle '1999-h1'" in cycle.stderr
    missing = invoke("new", "packet", "--target", "ic2", cwd=repo)
    assert missing.returncode == 2 and "--candidate" in missing.stderr


def test_readiness_text_for_a_fixture_with_known_coverage(repo: Path) -> None:
    shutil.copy(FIXTURE, repo / "packets" / "fixture.yaml")
    result = invoke("readiness", "packets/fixture.yaml", cwd=repo)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Coverage: 4 of 6 target-level criteria (67%)" in out
    assert "[x] rel-ic4-oncall: Shapes on-call" in out and "<- ev-two" in out
    assert "[ ] rel-ic4-failure-modes:" in out and "[ ] col-ic4-sponsorship:" in out
    assert "Evidence citing no criterion: ev-four" in out
    assert "Invisible work: 2 of 4 pieces of evidence" in out
    assert "Reliability (ratings 2, 2, spread 0)" in out and "Collaboration (ratings 4, 3, spread 1)" in out
    assert "Capped: gate on reliability (mean below 2.5), cap 2.5." in out
    assert "Composite capped: 2.5 (weighted 3.58)" in out and "withheld" not in out
    assert (
        "Verdict: Evidence covers 4 of 6 target-level criteria; 2 still lack evidence. A gate applies on "
        "reliability: the composite is capped at 2.5. Advisory composite 2.5. This verdict is advisory" in out
    )


def test_readiness_markdown_and_json(repo: Path) -> None:
    shutil.copy(FIXTURE, repo / "packets" / "fixture.yaml")
    markdown = invoke("readiness", "packets/fixture.yaml", "--format", "markdown", cwd=repo).stdout
    assert "### Coverage of target-level criteria: 4 of 6 (67%)" in markdown
    assert "| ❌ | `rel-ic4-failure-modes`" in markdown
    payload = json.loads(invoke("readiness", "packets/fixture.yaml", "--format", "json", cwd=repo).stdout)
    assert payload["coverage"]["covered"] == 4 and payload["coverage"]["total"] == 6
    assert payload["score"]["final"] == 2.5 and payload["score"]["shown"] is True


def test_readiness_markdown_escapes_html_from_yaml(repo: Path) -> None:
    shutil.copy(FIXTURE, repo / "packets" / "fixture.yaml")
    edit(repo / "packets" / "fixture.yaml", "candidate: Fixture Candidate", "candidate: <img src=x onerror=alert(1)>|x")
    markdown = invoke("readiness", "packets/fixture.yaml", "--format", "markdown", cwd=repo).stdout
    assert "<img" not in markdown and "&#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62;&#124;x" in markdown


def test_readiness_of_an_invalid_packet_fails_clearly(repo: Path) -> None:
    # issue 16: the report is still produced, with the packet's errors first, and exit status 1
    edit(repo / "packets/examples/priya-raman-senior.yaml", "target_level: ic3", "target_level: ic9")
    result = invoke("readiness", "packets/examples/priya-raman-senior.yaml", cwd=repo)
    assert result.returncode == 1
    assert "target_level names unknown level 'ic9'" in result.stdout and "Traceback" not in result.stderr
    assert result.stdout.index("Problems to fix first") < result.stdout.index("Coverage:")


def test_readiness_of_a_non_packet_is_a_usage_error() -> None:
    result = invoke("readiness", "levels/ic1.yaml", cwd=REPO)
    assert result.returncode == 2 and "is not a packet" in result.stderr
