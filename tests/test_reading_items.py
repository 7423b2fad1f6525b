"""The bugs and reading items of issue 23, one test each, on the default handbook or a broken copy of it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import FIXED_TODAY, copy_content, edit, search
from conftest import invoke as run_cli

from generator.check.rules import indefinite
from generator.load.loader import load_bytes
from generator.workspace.workspace import validate_repository

TODAY = date.fromisoformat(FIXED_TODAY)
PRIYA = "packets/examples/priya-raman-senior.yaml"


def article_text(path: Path) -> str:
    html = search(r"<article.*?</article>", path.read_text("utf-8"), re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = copy_content(tmp_path_factory.mktemp("items") / "handbook")
    settings = yaml.safe_load((repo / "site_config" / "handbook.yaml").read_text())
    settings["dimension_groups"] = [
        {"id": "delivery", "name": "Delivery and reliability"},
        {"id": "collaboration", "name": "Collaboration"},
    ]
    (repo / "site_config" / "handbook.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    for path in (repo / "rubrics").rglob("*.yaml"):
        text = path.read_text()
        if "group: reliability" in text:
            path.write_text(text.replace("group: reliability", "group: delivery"))
    result = run_cli("build", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    return repo / "site"


def test_dimension_groups_with_several_dimensions_list_as_a_list(site: Path) -> None:
    article = search(r"<article.*?</article>", (site / "index.html").read_text(), re.S).group(0)
    html = search(r"What is judged.*?<h2", article, re.S).group(0)
    assert "<li><strong><a" in html and "<p>- " not in html and "\n- " not in html


def test_the_senior_page_promises_no_carried_criteria_it_does_not_list(site: Path) -> None:
    text = article_text(site / "levels" / "ic3" / "index.html")
    assert "still expected from lower levels" not in text  # every lower criterion is raised at Senior


def test_a_level_page_leads_with_how_to_reach_it_and_links_the_next_step(site: Path) -> None:
    html = (site / "levels" / "ic3" / "index.html").read_text()
    text = article_text(site / "levels" / "ic3" / "index.html")
    assert text.index("How to reach Senior Engineer") < text.index("Criteria") < text.index("Next step")
    # What convinces a reviewer of Senior is read on the Senior page (it was Engineer II's "next step").
    assert "Has led at least one project of a quarter that needed several people" in text
    assert 'href="../changes/ic3-to-ic4/"' in html.split("Next step", 1)[1]
    assert "Readiness for the next step" not in text


def test_the_dimensions_folder_has_an_index(site: Path) -> None:
    text = article_text(site / "dimensions" / "index.html")
    assert "Delivery and reliability" in text and "Collaboration" in text


def test_grammar_of_articles_and_plurals() -> None:
    assert [indefinite(w) for w in ("rfc", "Engineering Manager", "pull-request", "user", "Senior")] == [
        "an",
        "an",
        "a",
        "a",
        "a",
    ]


def test_a_missing_link_message_uses_an_before_a_vowel_sound(repo: Path) -> None:
    text = (repo / PRIYA).read_text()
    first_link = search(r"\n    link: [^\n]+", text).group(0)
    kind = search(r"\n    kind: ([a-z-]+)", text).group(0)
    (repo / PRIYA).write_text(text.replace(first_link, "", 1).replace(kind, "\n    kind: rfc", 1))
    messages = [d.message for d in validate_repository(repo, today=TODAY).errors if d.code == "evidence-no-link"]
    assert messages and all(" a rfc " not in m for m in messages)


def test_a_duplicate_evidence_id_names_the_earlier_line(repo: Path) -> None:
    text = (repo / PRIYA).read_text()
    ids = re.findall(r"- id: ([a-z0-9-]+)", text)
    (repo / PRIYA).write_text(text.replace(f"- id: {ids[1]}", f"- id: {ids[0]}", 1))
    first_line = next(i for i, line in enumerate(text.splitlines(), 1) if f"- id: {ids[0]}" in line)
    errors = [d for d in validate_repository(repo, today=TODAY).errors if d.code == "duplicate-id"]
    assert len(errors) == 1 and f"(first at line {first_line})" in errors[0].message


def test_a_future_date_error_says_what_today_is(repo: Path) -> None:
    edit(repo / PRIYA, 'date: "2026-', 'date: "2027-')
    errors = [d.message for d in validate_repository(repo, today=TODAY).errors if d.code == "evidence-in-future"]
    assert errors and f"after today ({FIXED_TODAY})" in errors[0]


def test_a_value_quoted_only_at_its_start_gets_the_quote_the_whole_value_hint() -> None:
    loaded = load_bytes(b"title: 'Release notes' ritual: ran it\n", "packets/x.yaml")
    message = loaded.diagnostics[0].message
    assert "quote the whole value" in message and "title: \"'Release notes' ritual: ran it\"" in message


def test_citing_a_raised_current_role_criterion_is_a_warning_and_shows_in_readiness(repo: Path) -> None:
    edit(repo / PRIYA, "criteria: [col-ic3-glue]", "criteria: [col-ic3-glue, col-ic2-reviews]")
    warnings = [d for d in validate_repository(repo, today=TODAY).warnings if d.code == "criterion-raised"]
    assert len(warnings) == 1 and "'col-ic3-glue' raises" in warnings[0].message
    result = run_cli("readiness", PRIYA, cwd=repo)
    assert "bug-triage -> col-ic2-reviews" in result.stdout


def test_new_packet_lists_role_values_and_a_schema_path_that_exists_in_an_init_repository(tmp_path: Path) -> None:
    created = run_cli("init", "org", "--name", "Acme Robotics", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    root = tmp_path / "org"
    levels = sorted(p.stem for p in (root / "levels").glob("*.yaml"))
    settings = yaml.safe_load((root / "site_config" / "handbook.yaml").read_text())
    ladder = settings["tracks"][0]["levels"]
    result = run_cli("new", "packet", "--candidate", "Ana Li", "--target", ladder[-1], cwd=root)
    assert result.returncode == 0, result.stderr + str(levels)
    written = next((root / "packets").rglob("ana-li.yaml"))
    text = written.read_text()
    schema = search(r"\$schema=(\S+)", text).group(1)
    assert (written.parent / schema).resolve().is_file(), schema
    assert "roles: author, co-author, lead" in text and "quote" in text.lower()
