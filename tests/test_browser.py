"""End to end in headless Chromium (Debian's package, driven by Playwright)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Page

import shutil
from pathlib import Path

import pytest
from browserkit import require_chromium, serving
from conftest import copy_content, invoke

HOSTILE = Path(__file__).parent / "fixtures" / "packets" / "hostile-example.yaml"

require_chromium()

sync_api = pytest.importorskip("playwright.sync_api")


pytestmark = pytest.mark.xdist_group("hostile-sites")  # its module-scoped fixture is built on one worker only


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    repo = copy_content(tmp_path_factory.mktemp("browser"))
    shutil.copy(HOSTILE, repo / "packets" / "hostile-example.yaml")
    result = invoke("build", cwd=repo)
    assert result.returncode == 0, result.stderr
    with serving(repo / "site") as url:
        yield url


def test_home_page_renders(page: Page, site_url: str, tmp_path: Path) -> None:
    page.goto(site_url + "/")
    assert page.locator("h1").first.inner_text().rstrip("¶") == "How you are evaluated, in two minutes"
    assert "Northwind Engineering Handbook" in page.title()
    page.screenshot(path=str(tmp_path / "home.png"))
    assert (tmp_path / "home.png").stat().st_size > 10_000


def test_no_request_leaves_the_site(page: Page, site_url: str) -> None:
    outside = []
    page.on("request", lambda request: outside.append(request.url) if not request.url.startswith(site_url) else None)
    for path in ("/", "/levels/ic4/", "/packets/priya-raman-senior/", "/metrics/"):
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
    assert outside == []


def test_navigation_reaches_a_level_page(page: Page, site_url: str) -> None:
    page.goto(site_url + "/")
    page.locator(".md-tabs__link", has_text="Levels").click()
    page.locator("nav.md-nav--primary a.md-nav__link", has_text="Staff Engineer").first.click()
    page.wait_for_url("**/levels/ic4/")
    assert page.locator("h1").first.inner_text().rstrip("¶") == "Staff Engineer"


def test_search_finds_a_criterion_by_a_word_in_its_text(page: Page, site_url: str) -> None:
    page.goto(site_url + "/")
    page.locator("label.md-search__icon, input.md-search__input").first.click()
    page.keyboard.type("sustainable", delay=30)
    result = page.locator(".md-search-result__item").filter(has_text="Shapes on-call for several teams")
    result.first.wait_for()
    hrefs = [a.get_attribute("href") or "" for a in result.first.locator("a").all()]
    assert any("levels/ic4/" in h and h.endswith("#rel-ic4-oncall") for h in hrefs), hrefs


def test_criterion_anchor_scrolls_to_it(page: Page, site_url: str) -> None:
    page.goto(site_url + "/levels/ic4/#rel-ic4-failure-modes")
    page.wait_for_function("window.scrollY > 100")
    top = page.evaluate("document.getElementById('rel-ic4-failure-modes').getBoundingClientRect().top")
    assert 0 <= top < 300


def record_dialogs(page: Page) -> list[str]:
    """Every dialog's message (a dialog is a script that ran), each dismissed."""
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return dialogs


@pytest.mark.parametrize("path", ["/packets/hostile-example/", "/packets/", "/", "/metrics/slo-attainment/"])
def test_hostile_text_runs_no_script(page: Page, site_url: str, path: str) -> None:
    dialogs = record_dialogs(page)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(site_url + path)
    page.wait_for_load_state("networkidle")
    page.mouse.move(400, 400)
    assert dialogs == [] and errors == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    if path == "/packets/hostile-example/":
        body = page.locator("article").inner_text()
        assert "<script>window.__pwned=1;alert(1)</script>Mallory" in body  # shown as text
        assert "{{ 7*7 }}" in body and "emphasis stays" in body
        assert page.locator("article em", has_text="emphasis stays").count() == 1
        assert page.locator("article a[href^='javascript']").count() == 0
        assert page.locator("article iframe, article img[src='x'], article marquee").count() == 0


def test_search_results_for_hostile_text_run_no_script(page: Page, site_url: str) -> None:
    dialogs = record_dialogs(page)
    page.goto(site_url + "/")
    page.locator("label.md-search__icon, input.md-search__input").first.click()
    page.keyboard.type("emphasis", delay=30)
    page.locator(".md-search-result__item").first.wait_for()
    page.wait_for_timeout(500)
    assert dialogs == [] and page.evaluate("typeof window.__pwned") == "undefined"


TITLE_ATTACKS = [
    "</title><script>window.__pwned=1;alert(1)</script>",
    "&lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;",
    "</title><img src=x onerror=alert(3)>",
    "<svg/onload=alert(4)>",
]


@pytest.fixture(scope="module", params=["mkdocs", "zensical"])
def many_examples_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """More examples than the navigation lists, so packet pages take their title from the page itself."""
    from generator.render.plan import NAV_PACKETS_MAX

    if request.param == "zensical":
        pytest.importorskip("zensical")
    repo = copy_content(tmp_path_factory.mktemp(f"titles-{request.param}"))
    base = HOSTILE.read_text("utf-8")
    for index in range(NAV_PACKETS_MAX + 2):
        attack = TITLE_ATTACKS[index % len(TITLE_ATTACKS)].replace('"', '\\"')
        packet = base.replace(
            'candidate: <script>window.__pwned=1;alert(1)</script>Mallory & "Co"', f'candidate: "{attack}"'
        )
        (repo / "packets" / f"title-{index}.yaml").write_text(packet, "utf-8")
    result = invoke("build", "--engine", request.param, cwd=repo)
    assert result.returncode == 0, result.stderr
    with serving(repo / "site") as url:
        yield url


@pytest.mark.parametrize("index", range(len(TITLE_ATTACKS)))
def test_packet_titles_run_no_script_beyond_the_navigation(page: Page, many_examples_url: str, index: int) -> None:
    dialogs = record_dialogs(page)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{many_examples_url}/packets/title-{index}/")
    page.wait_for_load_state("networkidle")
    assert dialogs == [] and errors == [] and page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("head img, head svg").count() == 0  # nothing broke out of <title>
    title = page.title()
    assert title.endswith(" - Northwind Engineering Handbook") and not set('<>&"') & set(title), title
    assert page.locator("article h1").first.inner_text().rstrip("¶") == TITLE_ATTACKS[index]  # shown as text
