"""The result cache never gives a stale answer, and the fast paths agree with the slow ones."""

import shutil
from datetime import date
from pathlib import Path

from conftest import REPO, edit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import batch, schema_check
from generator import cache as cache_module
from generator.cache import ResultCache
from generator.loader import load_bytes
from generator.validate import validate_repository

CORPUS = Path(__file__).parent / "fixtures" / "hostile"
PRIYA = "packets/examples/priya-raman-senior.yaml"
TODAY = date(2026, 11, 28)


def summary(report):
    return [(d.file, d.line, d.column, d.code, d.message) for d in report.diagnostics]


def test_warm_cache_gives_the_same_answer_as_no_cache(repo, tmp_path):
    for index, fixture in enumerate(sorted(CORPUS.iterdir())[:20]):
        shutil.copy(fixture, repo / "packets" / f"hostile-{index}.yaml")
    cache = ResultCache(tmp_path / "cache")
    cold = validate_repository(repo, today=TODAY, cache=cache)
    warm = validate_repository(repo, today=TODAY, cache=cache)
    uncached = validate_repository(repo, today=TODAY)
    assert summary(cold) == summary(warm) == summary(uncached)
    assert len(cache.get_many([cache_module.key_for("packet", (repo / PRIYA).read_bytes())])) == 1


def test_same_content_at_another_path_reports_the_new_path(repo, tmp_path):
    cache = ResultCache(tmp_path / "cache")
    broken = (CORPUS / "25-wrong-type.yaml").read_bytes()
    (repo / "levels" / "zz.yaml").write_bytes(broken)
    validate_repository(repo, today=TODAY, cache=cache)
    (repo / "levels" / "zz.yaml").unlink()
    (repo / "levels" / "yy.yaml").write_bytes(broken.replace(b"id: zz", b"id: yy"))
    report = validate_repository(repo, today=TODAY, cache=cache)
    assert {d.file for d in report.errors} == {"levels/yy.yaml"}


def test_rubric_changes_apply_to_cached_packets(repo, tmp_path):
    cache = ResultCache(tmp_path / "cache")
    assert not validate_repository(repo, today=TODAY, cache=cache).errors
    edit(repo / "rubrics/dimensions/collaboration.yaml", "id: col-ic3-mentoring", "id: col-ic3-mentorship")
    codes = {(d.file, d.code) for d in validate_repository(repo, today=TODAY, cache=cache).errors}
    assert (PRIYA, "unknown-criterion") in codes


def test_a_broken_cache_only_costs_time(repo, tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "results-v1.sqlite").write_bytes(b"this is not a database" * 100)
    report = validate_repository(repo, today=TODAY, cache=ResultCache(folder))
    assert report.diagnostics == ()


def test_parallel_and_sequential_loading_agree(repo, monkeypatch):
    for index, fixture in enumerate(sorted(CORPUS.iterdir())):
        shutil.copy(fixture, repo / "packets" / f"hostile-{index}.yaml")
    monkeypatch.setattr(batch, "PARALLEL_FROM", 10)
    monkeypatch.setattr(batch, "CHUNK", 7)
    parallel = validate_repository(repo, today=TODAY, workers=2)
    assert summary(parallel) == summary(validate_repository(repo, today=TODAY, workers=1))


def test_only_packets_given_skips_other_packets_but_not_the_rubrics(repo):
    edit(repo / "packets/examples/jonas-berg-staff.yaml", "cycle: 2026-h1", "cycle: [broken")
    edit(repo / "rubrics/dimensions/delivery.yaml", "id: del-ic3-projects", "id: del-ic3-project")
    report = validate_repository(repo, today=TODAY, only=[repo / PRIYA])
    assert [(d.file, d.code) for d in report.errors] == [(PRIYA, "unknown-criterion")]


PACKET_SOURCE = (REPO / PRIYA).read_text()


@given(st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fast_validator_agrees_with_the_full_one(data):
    lines = PACKET_SOURCE.splitlines(keepends=True)
    index = data.draw(st.integers(1, len(lines) - 1))
    replacement = data.draw(st.sampled_from([
        "", "    date: \"2026-02-30\"\n", "    link: javascript:x\n", "    criteria: [Bad Id]\n", "extra: 1\n",
        "    role: owner\n", "  - reviewer: ''\n", "cycle: 2026-h9\n", "    impact: \" \"\n", "visibility: public\n",
        "    ratings: {delivery: 0}\n", "criteria_version: 1.2\n", "evidence: {}\n", "decision: {}\n"]))
    text = "".join(lines[:index] + [replacement] + lines[index + 1:])
    document = load_bytes(text.encode(), "p.yaml").document
    if document is None:
        return
    full = list(schema_check.validator_for("packet").iter_errors(document.data))
    assert schema_check.is_valid(document.data, "packet") == (not full)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(list("\n\t  *_-.1#<>&ab")),
               max_size=60))
@settings(max_examples=1500, deadline=None)
def test_plain_text_fast_path_renders_like_markdown(text):
    import re

    from generator.render import text as render_text
    slow = " ".join(re.sub(r"</?p>", " ", render_text._render(text, render_text.INLINE_TAGS | {"p"},
                                                               frozenset({"https"}))).split())
    assert render_text.inline(text) == slow
