"""Private packets are validated like any other but leave no trace in the public site."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Built, copy_content, invoke

FIXTURE = Path(__file__).parent / "fixtures" / "packets" / "fixture-staff.yaml"
MARKERS = {
    "candidate: Fixture Candidate": "candidate: Zqxmarkercandidate Private",
    "summary: A fixture with known coverage and a known composite.": "summary: Zqxmarkersummary confidential.",
    "title: Cross-team migration": "title: Zqxmarkertitle migration",
    "impact: Migrated six services.": "impact: Zqxmarkerimpact services.",
    "link: https://example.com/pr/1": "link: https://example.com/zqxmarkerlink",
    "reviewer: Reviewer One": "reviewer: Zqxmarkerreviewer",
    "id: ev-two": "id: zqxmarkerevidence",
    "status: draft  # ev-four cites nothing on purpose: allowed (with a warning) while a draft": "status: not-yet\n  feedback: Zqxmarkerfeedback",
}


def private_packet(folder: Path, name: str) -> None:
    text = FIXTURE.read_text().replace("visibility: example", "visibility: private")
    for old, new in MARKERS.items():
        assert old in text
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(text)


pytestmark = pytest.mark.xdist_group("public-site")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = copy_content(tmp_path_factory.mktemp("private"))
    private_packet(repo / "packets" / "2026-h2", "zqxmarkerslug")
    private_packet(repo / "packets" / "2026-h1", "zqxmarkerother")
    return repo


def every_file_text(site: Path) -> Iterator[tuple[Path, str]]:
    for path in site.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
            yield path, raw.decode("utf-8", errors="replace").lower()


def test_private_packets_validate(repo: Path) -> None:
    result = invoke("validate", cwd=repo)
    assert result.returncode == 0, result.stdout
    assert "30 files checked" in result.stdout  # with the sample team's 5 files


def test_public_build_holds_no_trace_of_private_packets(public_site: Built) -> None:
    """public_site (conftest.py) holds private_packet's zqxmarkerslug and zqxmarkerother."""
    site = public_site.site
    scanned = 0
    for path, text in every_file_text(site):
        scanned += 1
        assert "zqxmarker" not in text, f"private text leaked into {path}"
        assert "zqxmarker" not in str(path.relative_to(site)).lower()
    assert scanned > 50
    for kind in ("search/search_index.json", "sitemap.xml"):
        assert (site / kind).is_file()
    assert not list(site.rglob("*Internal build*"))
    assert "Internal build" not in (site / "index.html").read_text()


def test_internal_build_must_be_asked_for_and_says_so_on_every_page(internal_site: Built) -> None:
    repo, internal = internal_site.repo, internal_site.site
    assert "zqxmarkertitle" in (internal / "packets" / "zqxmarkerslug" / "index.html").read_text().lower()
    pages = [p for p in internal.rglob("index.html")]
    assert len(pages) > 30
    for page in pages:
        assert "Internal build: contains private packets" in page.read_text(), page
    assert "zqxmarker" not in (repo / "site" / "index.html").read_text().lower()  # public site untouched
