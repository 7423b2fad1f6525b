"""The handbook reads well on every screen, on paper and for every reader (issue 17), measured in
headless Chromium: nothing hidden at any width, printable level sheets, axe in both palettes,
keyboard reach, and status words that never rely on colour."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conftest import Built

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

import json
import math
import re
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from browserkit import axe_violations, new_page, require_chromium, serving
from conftest import FIXED_TODAY

WIDTHS = (390, 768, 1280, 1920)
HIDDEN_CONTENT = (Path(__file__).parent / "browser" / "hidden_content.js").read_text("utf-8")
# One page of each kind that the handbook generates.
PAGE_TYPES = (
    "/",
    "/ladder/",
    "/levels/ic4/",
    "/compare/",
    "/levels/changes/ic3-to-ic4/",
    "/levels/print/",
    "/dimensions/delivery/",
    "/dimensions/",
    "/metrics/",
    "/metrics/change-lead-time/",
    "/metrics/story-point-velocity/",
    "/composite/",
    "/packets/",
    "/packets/priya-raman-senior/",
    "/process/",
    "/process-health/",
    "/changelog/",
    "/reference/",
    "/schemas/",
    "/teams/",
    "/teams/checkout/",
)
A4_PRINTABLE_PX = ((297 - 2 * 12) / 25.4 * 96, (210 - 2 * 14) / 25.4 * 96)  # @page margins in handbook.css

require_chromium()

sync_api = pytest.importorskip("playwright.sync_api")


# no xdist group: the reading tests are the longest in the suite, so they spread over both workers
# (each worker builds the shared site once, in about 2 s)


@pytest.fixture(scope="module")
def site(public_site: Built) -> Path:
    return public_site.site


@pytest.fixture(scope="module")
def site_url(site: Path) -> Iterator[str]:
    """The shared site without its search index: these tests check layout, not search (see
    browserkit.EmptySearchIndexHandler); the keyboard test, which searches, uses public_url."""
    with serving(site, search=False) as url:
        yield url


def test_the_layout_server_empties_only_the_search_index(site: Path, site_url: str) -> None:
    with urllib.request.urlopen(site_url + "/assets/handbook.js") as response:
        assert response.read() == (site / "assets" / "handbook.js").read_bytes()
    full = json.loads((site / "search" / "search_index.json").read_text("utf-8"))
    assert full["docs"]
    for path in ("/search/search_index.json", "/search/search_index.json?v=1"):
        with urllib.request.urlopen(site_url + path) as response:
            assert json.loads(response.read()) == {**full, "docs": []}


def test_a_test_server_never_takes_a_port_served_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Browser tests share a context (and its cache); see browserkit.serving."""
    import browserkit

    with serving(tmp_path) as first:
        pass
    made: list[int] = []

    class OldPortFirst(ThreadingHTTPServer):  # the system offers the old port again
        def __init__(self, address: tuple[str, int], handler: Any) -> None:
            super().__init__(("127.0.0.1", int(first.rsplit(":", 1)[1]) if not made else 0), handler)
            made.append(self.server_address[1])

    monkeypatch.setattr(browserkit, "ThreadingHTTPServer", OldPortFirst)
    with serving(tmp_path) as second:
        assert second != first and len(made) == 2 and f":{made[0]}" in first


def every_page(site: Path) -> list[str]:
    paths = []
    for html in sorted(site.rglob("index.html")):
        relative = html.parent.relative_to(site).as_posix()
        if not relative.startswith(("assets", "search")):
            paths.append("/" if relative == "." else f"/{relative}/")
    return paths


# --- 1. Nothing hidden at any width ------------------------------------------------------------


@pytest.mark.parametrize("half", [0, 1])  # every page, in two halves that run on both workers at once
def test_no_page_hides_content_at_any_width(browser: Browser, site: Path, site_url: str, half: int) -> None:
    paths = every_page(site)
    assert len(paths) > 30 and set(PAGE_TYPES) <= set(paths)
    context, page = new_page(browser, reduced_motion="reduce")
    problems = []
    try:
        for path in paths[half::2]:
            problems += hidden_at_every_width(page, site_url + path)
    finally:
        context.close()
    assert problems == []


CLIPPED_PAGE = """<!doctype html><html lang="en"><title>t</title><body><div class="md-content" style="width: 300px">
<div style="overflow: hidden; width: 200px"><p style="width: 900px">clipped text</p></div></div>
<script>const mark = () => document.documentElement.setAttribute("data-hb-width", String(innerWidth));
mark(); addEventListener("resize", () => requestAnimationFrame(mark));</script></body></html>"""


def test_the_widths_check_reports_clipped_content_at_every_width(browser: Browser, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(CLIPPED_PAGE, "utf-8")
    context, page = new_page(browser, viewport={"width": 768, "height": 900})
    try:
        with serving(tmp_path) as url:
            problems = hidden_at_every_width(page, url + "/") + hidden_at_every_width(page, url + "/")
    finally:
        context.close()
    clipped = [p.split(" ", 1)[0] for p in problems if "clips 700px" in p]
    assert clipped == ["768px", "1280px", "1920px", "390px", "390px", "768px", "1280px", "1920px"], problems


def hidden_at_every_width(page: Page, url: str) -> list[str]:
    """Load url at the page's current width and check it there first, then at each other width:
    four layouts of each page, none spent on the page before (so pages load at different widths)."""
    page.goto(url)
    page.wait_for_load_state("load")
    return hidden_at_each_width_from_here(page, url)


def hidden_at_each_width_from_here(page: Page, label: str) -> list[str]:
    """The loaded page checked at its current width, then at each other width of WIDTHS in turn, so
    that the next page loads at the width before this one's (a page loads at each width in turn)."""
    current = page.viewport_size["width"] if page.viewport_size else None
    start = WIDTHS.index(current) if current in WIDTHS else 0
    problems = []
    for width in WIDTHS[start:] + WIDTHS[:start]:
        resize(page, width)
        problems += [f"{width}px {label}: {p}" for p in page.evaluate(HIDDEN_CONTENT)]
    return problems


def resize(page: Page, width: int, height: int = 900) -> None:
    """Resize the viewport and wait until handbook.js has measured the tables at the new width
    (its data-hb-width marker), so a check never races the script."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function("w => document.documentElement.getAttribute('data-hb-width') === String(w)", arg=width)


@pytest.mark.parametrize("path", ["/metrics/change-lead-time/", "/dimensions/reliability/", "/levels/ic2/"])
@pytest.mark.parametrize("narrow", [390, 768])
def test_crossing_the_desktop_breakpoint_never_scrolls_sideways(
    browser: Browser, site_url: str, path: str, narrow: int
) -> None:
    """The theme's header search box animates its width for 250 ms when the window grows past
    60em; while it does, it sticks out past the right edge. The page must not scroll sideways
    even then (this was the 'scrolls sideways: 1334 > 1280' on a different page each run)."""
    context, page = new_page(browser)
    try:
        page.goto(site_url + path)
        page.wait_for_load_state("load")
        resize(page, narrow)
        page.wait_for_function("() => !document.getAnimations().some(a => a instanceof CSSTransition)")
        page.set_viewport_size({"width": 1280, "height": 900})
        # Hold every transition at its first frame (deterministic, however busy the machine is),
        # then measure the page as it looks at that moment.
        moving, width = page.evaluate("""() => {
            document.body.offsetWidth;  // apply the new width's styles, which starts the transitions
            const moving = document.getAnimations().filter(a => a instanceof CSSTransition);
            moving.forEach(a => { a.pause(); a.currentTime = 0; });
            return [moving.length, document.scrollingElement.scrollWidth];
        }""")
        assert moving, "no transition started: the check would prove nothing"
        assert width <= 1280
    finally:
        context.close()


def test_a_wide_table_scrolls_with_a_cue_the_keyboard_and_a_name(browser: Browser, site_url: str) -> None:
    # The metric catalogue fits at every width now (issue 23); a packet's evidence table does not on a
    # small tablet.
    context, page = new_page(browser, viewport={"width": 640, "height": 900})
    try:
        page.goto(site_url + "/packets/priya-raman-senior/")
        page.wait_for_load_state("load")
        box = page.locator("[data-hb-more]").first
        assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"
        assert box.get_attribute("aria-label") == "Evidence (table, scrolls sideways)"
        assert page.locator("[data-hb-more] + .hb-scroll-hint").first.is_visible()
        shadow = box.evaluate("e => getComputedStyle(e).backgroundImage")
        assert shadow.count("gradient") == 4  # two fading covers, two edge shadows
        box.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.querySelector('[data-hb-more]').scrollLeft > 0")
    finally:
        context.close()


def test_wide_tables_become_labelled_cards_on_a_phone(browser: Browser, site_url: str) -> None:
    context, page = new_page(browser, viewport={"width": 390, "height": 800})
    try:
        page.goto(site_url + "/packets/priya-raman-senior/")
        page.wait_for_load_state("load")
        evidence = page.locator("table[data-hb-cards]").first
        assert evidence.evaluate("t => getComputedStyle(t.querySelector('tr')).display") == "block"
        cell = evidence.locator("td[data-label='Criteria']").first
        assert cell.evaluate("c => getComputedStyle(c, '::before').content") == '"Criteria"'
        assert evidence.evaluate("t => t.getBoundingClientRect().width") <= 390
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/packets/priya-raman-senior/", "/ladder/", "/levels/ic2/"])
def test_ids_never_break_inside_a_word(browser: Browser, site_url: str, path: str) -> None:
    """Each line of an id code span ends at a hyphen or at the id's end: `rel-ic2-observability`
    may wrap after `ic2-`, never as `observabilit / y`."""
    context, page = new_page(browser, viewport={"width": 390, "height": 800})
    try:
        page.goto(site_url + path)
        page.wait_for_load_state("load")
        broken = page.evaluate("""() => {
            const bad = [];
            for (const code of document.querySelectorAll('article code')) {
                const text = code.textContent;
                if (!/^[a-z0-9]+(-[a-z0-9]+)+$/.test(text)) continue;
                const node = code.firstChild, range = document.createRange();
                let top = null;
                for (let i = 0; i < text.length; i++) {
                    range.setStart(node, i); range.setEnd(node, i + 1);
                    const rects = range.getClientRects();
                    if (!rects.length) continue;
                    const y = Math.round(rects[0].top);
                    if (top !== null && y > top + 2 && text[i - 1] !== '-') bad.push(text + ' at ' + i);
                    top = y;
                }
            }
            return bad;
        }""")
        assert broken == []
    finally:
        context.close()


def test_pages_keep_working_with_javascript_off(browser: Browser, site_url: str) -> None:
    """Without JavaScript a wide table is its own scroll box (with the shadow cue) and no page
    scrolls sideways."""
    context, page = new_page(browser, java_script_enabled=False, viewport={"width": 390, "height": 800})
    try:
        for path in ("/packets/priya-raman-senior/", "/process-health/", "/metrics/"):
            page.goto(site_url + path)
            assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), path
            for table in page.locator("article table").all():
                style = table.evaluate("t => [getComputedStyle(t).overflowX, getComputedStyle(t).backgroundImage]")
                assert style[0] == "auto" and style[1].count("gradient") == 4, path
                assert table.evaluate("t => t.getBoundingClientRect().right <= innerWidth"), path
    finally:
        context.close()


# --- 3. Printable level sheets -----------------------------------------------------------------


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def level_paths(site: Path) -> list[str]:
    return [p for p in every_page(site) if re.fullmatch(r"/levels/[^/]+/", p) and p != "/levels/print/"]


A4_PAGE_HEIGHT = A4_PRINTABLE_PX[0]
NEARLY_EMPTY = 0.1  # a last sheet holding less than this share of a page is a spill to tighten


@pytest.fixture(scope="module")
def printed_levels(browser: Browser, site: Path, site_url: str) -> dict[str, tuple[int, float]]:
    """Each level page printed to A4: {path: (PDF pages, content height in the print layout)}.
    The page is laid out at the printable width, so the article's height is what the sheets hold."""
    context, page = new_page(browser, viewport={"width": round(A4_PRINTABLE_PX[1]), "height": round(A4_PAGE_HEIGHT)})
    printed = {}
    try:
        for path in level_paths(site):
            page.goto(site_url + path)
            page.wait_for_load_state("load")
            pages = pdf_pages(page.pdf(format="A4", prefer_css_page_size=True))
            page.emulate_media(media="print")
            height = page.evaluate("document.querySelector('article').getBoundingClientRect().bottom + scrollY")
            header = page.locator(".hb-print-header")
            assert header.count() == 1 and header.is_visible()
            title = page.locator("article h1").first.inner_text().rstrip("¶").strip()
            assert header.inner_text() == f"Northwind Engineering · {title} · criteria version 1.3.0 · {FIXED_TODAY}"
            page.emulate_media(media="null")  # back to the screen (an emulated "screen" would also print as screen)
            assert not header.is_visible()  # print only
            printed[path] = (pages, height)
    finally:
        context.close()
    return printed


def test_a_level_prints_on_as_few_pages_as_its_content_needs(printed_levels: dict[str, tuple[int, float]]) -> None:
    """As many sheets as the content fills (its height in the print layout over the printable
    page height, rounded up), and never a last sheet that holds only a few spilled lines."""
    assert len(printed_levels) == 7  # the default levels
    for path, (pages, height) in printed_levels.items():
        needed = height / A4_PAGE_HEIGHT
        assert pages == math.ceil(needed), (path, pages, round(needed, 2))
        last = needed - (pages - 1)
        assert pages == 1 or last >= NEARLY_EMPTY, (
            f"{path} spills {last:.0%} of a page onto sheet {pages}: tighten the print CSS"
        )


def test_print_all_levels_gives_each_level_its_own_sheets(
    browser: Browser, site: Path, site_url: str, printed_levels: dict[str, tuple[int, float]]
) -> None:
    """Every level starts on a new sheet and takes the same sheets as printing it alone."""
    context, page = new_page(browser)
    try:
        page.goto(site_url + "/levels/print/")
        page.wait_for_load_state("load")
        pages = pdf_pages(page.pdf(format="A4", prefer_css_page_size=True))
        page.emulate_media(media="print")
        headers = page.locator(".hb-print-header").all_inner_texts()
        assert not page.locator("article h1").first.is_visible()  # the page's own title is for the screen
    finally:
        context.close()
    levels = level_paths(site)
    assert len(headers) == len(levels)
    assert pages == sum(n for n, _ in printed_levels.values())
    assert [h.split(" · ")[1] for h in headers] == [
        "Engineer I",
        "Engineer II",
        "Senior Engineer",
        "Staff Engineer",
        "Principal Engineer",
        "Engineering Manager",
        "Senior Engineering Manager",
    ]


# --- 4. Accessibility ------------------------------------------------------------------------


# The palettes differ only in colours (the theme's variables and handbook.css): each page is checked
# by every rule in the light palette, then switched to dark with its own toggle and checked again by
# the rules that read colours, with no second load.
COLOUR_RULES = {"runOnly": {"type": "rule", "values": ["color-contrast", "link-in-text-block"]}}
PALETTE_TOGGLE = "label.md-header__button[for^='__palette']:visible"


def test_axe_finds_no_violation_on_any_page_type_in_either_palette(browser: Browser, site_url: str) -> None:
    context, page = new_page(browser, color_scheme="light")
    found = []
    try:
        for path in PAGE_TYPES:
            page.goto(site_url + path)
            page.wait_for_load_state("load")
            for scheme, options in (("default", None), ("slate", COLOUR_RULES)):
                if page.evaluate("document.body.getAttribute('data-md-color-scheme')") != scheme:
                    page.locator(PALETTE_TOGGLE).first.click()
                assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme
                for violation in axe_violations(page, options):
                    if violation["impact"]:  # any impact (issue 23)
                        found.append(
                            f"{path} ({scheme}): {violation['id']} ({violation['impact']}) at "
                            f"{[node['target'] for node in violation['nodes'][:3]]}"
                        )
            page.locator(PALETTE_TOGGLE).first.click()  # the choice is remembered: the next page opens light
    finally:
        context.close()
    assert found == []


def test_the_colour_rules_find_text_too_faint_to_read(browser: Browser) -> None:
    context, page = new_page(browser)
    try:
        page.set_content('<html lang="en"><title>t</title><main><p style="color:#777;background:#888">faint</p></main>')
        violations = axe_violations(page, COLOUR_RULES)
    finally:
        context.close()
    assert [v["id"] for v in violations] == ["color-contrast"]


def test_the_palette_toggle_switches_light_and_dark(browser: Browser, site_url: str) -> None:
    context, page = new_page(browser, color_scheme="light")
    try:
        page.goto(site_url + "/")
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "default"
        page.locator("label.md-header__button[for^='__palette']:visible").first.click()
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
        page.goto(site_url + "/ladder/")  # the choice is remembered on the next page
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    finally:
        context.close()
    # ... but not by the next test's page, although pages share a browser context (browserkit.new_page)
    context, page = new_page(browser)
    try:
        page.goto(site_url + "/ladder/")
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "default"
    finally:
        context.close()


def test_the_keyboard_reaches_search_the_palette_toggle_and_every_tab(browser: Browser, public_url: str) -> None:
    context, page = new_page(browser)
    try:
        page.goto(public_url + "/")
        page.wait_for_load_state("load")
        reached = []
        for _ in range(40):
            page.keyboard.press("Tab")
            reached.append(
                page.evaluate("""() => { const e = document.activeElement;
                return [e.tagName, e.className, e.getAttribute('href') || '', (e.textContent || '').trim()]; }""")
            )
        tabs = {text for tag, cls, href, text in reached if "md-tabs__link" in cls}
        assert tabs >= {"Home", "Levels", "Dimensions", "Metrics", "Composite score", "Packets", "Reference"}, reached
        assert any(tag == "INPUT" and "md-search__input" in cls for tag, cls, _, _ in reached), reached
        page.locator("input.md-search__input").focus()
        page.keyboard.type("oncall")
        page.locator(".md-search-result__item").first.wait_for()
        page.keyboard.press("ArrowDown")
        assert page.evaluate("document.activeElement.closest('.md-search-result__item') !== null")
    finally:
        context.close()


@pytest.mark.parametrize(
    "path", ["/metrics/", "/packets/priya-raman-senior/", "/metrics/story-point-velocity/", "/packets/"]
)
def test_colour_never_carries_a_status_alone(browser: Browser, site_url: str, path: str) -> None:
    context, page = new_page(browser)
    try:
        page.goto(site_url + path)
        marks = page.locator(".hb-status, .hb-covered, .hb-missing, .hb-decision")
        assert marks.count() > 0
        for text in marks.all_inner_texts():
            assert re.fullmatch(r"[a-z][a-z ]+[a-z]", text.strip().lower()), text
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_metric_catalogue_fits_without_scrolling_its_tables(browser: Browser, site_url: str, width: int) -> None:
    """Issue 23: at 1280 px the review-status column sat behind a horizontal scroll."""
    context, page = new_page(browser)
    try:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(site_url + "/metrics/")
        resize(page, width)
        overflowing = page.evaluate("""() => [...document.querySelectorAll('article table')]
            .map(t => t.closest('.md-typeset__scrollwrap') || t)
            .filter(box => box.scrollWidth > box.clientWidth + 1)
            .map(box => box.textContent.trim().slice(0, 40))""")
    finally:
        context.close()
    assert overflowing == []
