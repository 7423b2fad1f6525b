"""The same handbook builds with MkDocs + Material and with Zensical, and shows the same facts."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from generator.workspace.workspace import validate_repository

FIXTURES = Path(__file__).parent / "fixtures" / "packets"
SEARCH_DATA = {"mkdocs": "search/search_index.json", "zensical": "search.json"}


pytestmark = pytest.mark.xdist_group("public-site")


@pytest.fixture(params=["mkdocs", "zensical"])
def built(request: pytest.FixtureRequest) -> tuple[str, Path, Path]:
    """The same content (conftest.shared_content: the fixture packet among the examples, and a private
    packet marked Qqprivatemarker) built once per session with each engine."""
    engine = request.param
    built = request.getfixturevalue("public_site" if engine == "mkdocs" else "zensical_site")
    assert f"with {engine}" in built.result.stderr
    return engine, built.repo, built.site


def html(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text("utf-8")


def text(site: Path, path: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html(site, path)).split())


def test_every_entity_has_a_page(built: tuple[str, Path, Path]) -> None:
    _, repo, site = built
    hb = validate_repository(repo, today=date(2026, 11, 28)).handbook
    paths = [f"levels/{lvl.id}" for lvl in hb.levels] + [f"dimensions/{d.id}" for d in hb.dimensions]
    paths += [f"metrics/{m.id}" for m in hb.metrics] + [f"packets/{p.slug}" for p in hb.packets if p.is_example]
    for path in paths:
        assert (site / path / "index.html").is_file(), path


def test_every_page_type_shows_its_facts(built: tuple[str, Path, Path]) -> None:
    _, _, site = built
    assert "How you are evaluated, in two minutes" in text(site, ".")
    assert "Shapes on-call for several teams" in text(site, "ladder")
    change = text(site, "levels/changes/ic3-to-ic4")
    assert "Senior Engineer Staff Engineer Change" in change and "raised" in change
    assert "Story point velocity" in text(site, "metrics") and "hb-status-retired" in html(site, "metrics")
    assert "Composite: 2.5 — capped from 3.73" in text(site, "composite")
    packet = text(site, "packets/fixture-staff")
    assert "4 of 6 criteria covered (67%)" in packet and "Composite capped: 2.5 (weighted 3.58)" in packet
    assert "Glossary" in text(site, "reference") and "packet.schema.json" in html(site, "reference")
    assert "Print all levels" in text(site, "levels/print")
    assert "Criteria changelog" in text(site, "changelog")
    assert "No review cycle has been published yet" in text(site, "process-health")
    assert (site / "schemas" / "packet.schema.json").is_file()


def test_criterion_anchors(built: tuple[str, Path, Path]) -> None:
    _, repo, site = built
    hb = validate_repository(repo, today=date(2026, 11, 28)).handbook
    for criterion in (c for d in hb.dimensions for c in d.criteria):
        assert f'id="{criterion.id}"' in html(site, f"levels/{criterion.level}"), criterion.id


def test_search_data_contains_criterion_text(built: tuple[str, Path, Path]) -> None:
    engine, _, site = built
    data = (site / SEARCH_DATA[engine]).read_text("utf-8")
    assert "Finds systemic failure modes before they cause incidents" in data


def test_no_private_packet_text_anywhere(built: tuple[str, Path, Path]) -> None:
    _, _, site = built
    for path in site.rglob("*"):
        if path.is_file():
            assert b"qqprivatemarker" not in path.read_bytes().lower(), path
            assert "secret" not in path.relative_to(site).as_posix()


def test_missing_engine_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from generator.model.errors import BuildError
    from generator.site.publish import require_engine

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BuildError, match=r"zensical is not installed: pip install '\.\[zensical\]'"):
        require_engine("zensical")
