"""Compare any two levels (issue 17 item 2), in headless Chromium on the framework-shaped handbook
(tests/framework.py: two tracks sharing three levels, then branching; in every dimension `N1` raises
the `1` criterion of the level below on the same ladder and `N2` is new)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

import pytest
from browserkit import axe_violations, new_page, require_chromium
from framework import THEMES

require_chromium()

COMPARE = "/compare/"


pytestmark = pytest.mark.xdist_group("framework-site")  # framework_url: conftest.py, built once per session


def tables(page: Page, root: str = "#hb-compare-result") -> dict[str, list[list[str]]]:
    """{dimension name: [(first cell, second cell, change)]} as shown under `root`."""
    found: dict[str, list[list[str]]] = page.evaluate(
        """root => {
        const found = {};
        for (const h of document.querySelectorAll(root + ' h3')) {
            let box = h.nextElementSibling;
            const rows = [...box.querySelectorAll('tbody tr')].map(tr => [...tr.children].map(td => td.textContent.trim()));
            found[h.textContent.replace('¶', '').trim()] = rows;
        }
        return found;
    }""",
        root,
    )
    return found


def pick(page: Page, first: str, second: str) -> None:
    page.select_option("#hb-compare-first", first)
    page.select_option("#hb-compare-second", second)


def kinds(rows: list[list[str]]) -> list[str]:
    return [row[2] for row in rows]


def test_across_the_branch_a_raise_chain_pairs_with_the_criterion_it_replaces(
    browser: Browser, framework_url: str
) -> None:
    context, page = new_page(browser)
    try:
        page.goto(framework_url + COMPARE)
        pick(page, "2-engineer", "5-manager-2")
        assert page.locator("#hb-compare-picked").inner_text() == "Engineer → Engineering Manager 2"
        shown = tables(page)
        assert list(shown) == [t.replace("-", " ").capitalize() for t in THEMES]  # declared order
        teamwork = shown["Teamwork"]
        assert kinds(teamwork) == ["raised", "new", "new", "new", "carried over", "carried over"]
        raised = teamwork[0]
        assert raised[0].startswith("Shows teamwork at the Engineer level")
        assert raised[1].startswith("Shows teamwork at the Engineering Manager 2 level")
        link = page.locator("#hb-compare-result a").first
        href = link.get_attribute("href")
        assert href is not None and href.endswith("/2-engineer/#21-craft")
    finally:
        context.close()


def test_two_levels_on_different_tracks_show_what_only_the_first_expects(browser: Browser, framework_url: str) -> None:
    context, page = new_page(browser)
    try:
        page.goto(framework_url + COMPARE)
        pick(page, "4-senior-2", "4-manager-1")
        assert page.locator("#hb-compare-picked").inner_text() == "Senior 2 → Engineering Manager 1"
        for rows in tables(page).values():
            assert kinds(rows) == [
                "new",
                "new",
                "carried over",
                "carried over",
                "carried over",
                "only at Senior 2",
                "only at Senior 2",
            ]
    finally:
        context.close()


def test_a_higher_level_picked_first_is_shown_lowest_first(browser: Browser, framework_url: str) -> None:
    context, page = new_page(browser)
    try:
        page.goto(framework_url + COMPARE)
        pick(page, "5-staff", "1-associate")
        assert page.locator("#hb-compare-picked").inner_text() == "Associate → Staff"
        craft = tables(page)["Craft"]
        assert craft[0][2] == "raised" and craft[0][0].startswith("Shows craft at the Associate level")
        assert craft[0][1].startswith("Shows craft at the Staff level")  # 51 -> 41 -> 31 -> 21 -> 11
    finally:
        context.close()


def test_the_keyboard_reaches_both_pickers_and_changes_the_comparison(browser: Browser, framework_url: str) -> None:
    context, page = new_page(browser)
    try:
        page.goto(framework_url + COMPARE)
        page.wait_for_load_state("load")
        reached = []
        for _ in range(80):
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.id"))
            if reached[-1] == "hb-compare-second":
                break
        assert "hb-compare-first" in reached and reached[-1] == "hb-compare-second", reached
        assert page.evaluate("document.activeElement.labels[0].textContent") == "Second level"
        before = page.locator("#hb-compare-picked").inner_text()
        page.keyboard.press("ArrowDown")
        page.wait_for_function("b => document.querySelector('#hb-compare-picked').textContent !== b", arg=before)
        assert page.locator("#hb-compare-picked").inner_text() == "Associate → Senior 1"
    finally:
        context.close()


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_axe_finds_no_serious_violation_on_the_compare_page(browser: Browser, framework_url: str, palette: str) -> None:
    context, page = new_page(browser, color_scheme=palette)
    try:
        page.goto(framework_url + COMPARE)
        page.wait_for_load_state("load")
        pick(page, "4-senior-2", "4-manager-1")
        violations = [
            f"{v['id']} ({v['impact']}) at {[n['target'] for n in v['nodes'][:3]]}"
            for v in axe_violations(page)
            if v["impact"] in ("serious", "critical")
        ]
    finally:
        context.close()
    assert violations == []


def test_with_javascript_off_the_page_shows_a_readable_default_and_every_step(
    browser: Browser, framework_url: str
) -> None:
    context, page = new_page(browser, java_script_enabled=False, viewport={"width": 390, "height": 800})
    try:
        page.goto(framework_url + COMPARE)
        assert not page.locator("#hb-compare").is_visible()  # pickers need the script
        assert page.locator("#hb-compare-default").inner_text().rstrip("¶").strip() == "Associate → Engineer"
        shown = tables(page, "article")
        assert kinds(shown["Craft"]) == ["raised", "new", "carried over"]
        steps = page.locator("article a[href*='changes/']").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert len(steps) == 7 and "../levels/changes/3-senior-1-to-4-manager-1/" in steps
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_no_sideways_scroll(browser: Browser, framework_url: str, width: int) -> None:
    context, page = new_page(browser, viewport={"width": width, "height": 900})
    try:
        page.goto(framework_url + COMPARE)
        pick(page, "4-senior-2", "5-manager-2")
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
        assert page.locator("#hb-compare-first").evaluate("e => e.getBoundingClientRect().right <= innerWidth")
    finally:
        context.close()


# --- The ladder's filters --------------------------------------------------------------------


def visible_ladder(page: Page) -> list[Any]:  # [tracks, tables], from the page
    """(visible track headings, per visible table its visible header cells)."""
    shown: list[Any] = page.evaluate("""() => {
        const shown = e => e.getClientRects().length > 0;
        const tracks = [...document.querySelectorAll('article h2')].filter(shown).map(h => h.textContent.replace('¶', '').trim());
        const tables = [...document.querySelectorAll('article table')].filter(shown)
            .map(t => [...t.querySelectorAll('thead th')].filter(shown).map(th => th.textContent.trim()));
        return [tracks, tables];
    }""")
    return shown


def test_the_ladder_filters_by_track_and_by_dimension(browser: Browser, framework_url: str) -> None:
    context, page = new_page(browser)
    try:
        page.goto(framework_url + "/ladder/")
        tracks, tables = visible_ladder(page)
        assert (
            tracks == ["Individual contributor", "People manager"] and len(tables) == 6
        )  # 9 dimensions: 3 tables each
        page.select_option("#hb-ladder-track", "people-manager")
        tracks, tables = visible_ladder(page)
        assert tracks == ["People manager"] and len(tables) == 3
        page.select_option("#hb-ladder-dimension", "teamwork")
        tracks, tables = visible_ladder(page)
        assert tracks == ["People manager"] and tables == [["Level", "Teamwork"]]
        rows = page.evaluate("""() => [...document.querySelectorAll('article table')].filter(t => t.getClientRects().length)
            .flatMap(t => [...t.querySelectorAll('tbody tr')].map(r => [...r.children].filter(c => c.getClientRects().length).length))""")
        assert rows == [2] * 5  # the manager ladder's five levels, each with its Teamwork cell
        page.select_option("#hb-ladder-track", "")
        tracks, tables = visible_ladder(page)
        assert len(tracks) == 2 and tables == [["Level", "Teamwork"]] * 2
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    finally:
        context.close()


def test_with_javascript_off_the_whole_ladder_shows(browser: Browser, framework_url: str) -> None:
    context, page = new_page(browser, java_script_enabled=False)
    try:
        page.goto(framework_url + "/ladder/")
        assert not page.locator("#hb-ladder-filters").is_visible()
        tracks, tables = visible_ladder(page)
        assert tracks == ["Individual contributor", "People manager"] and len(tables) == 6
        assert sum(len(t) - 1 for t in tables) == 2 * len(THEMES)
    finally:
        context.close()


@pytest.mark.parametrize(
    "first, second", [("4-senior-2", "4-manager-1"), ("1-associate", "6-principal"), ("2-engineer", "3-senior-1")]
)
def test_no_stale_table_stays_visible_after_any_pick(
    browser: Browser, framework_url: str, first: str, second: str
) -> None:
    """The default Associate → Engineer tables are hidden under any other pair: the theme's table CSS
    must not override the `hidden` attribute (issue 23)."""
    context, page = new_page(browser)
    try:
        page.goto(framework_url + COMPARE)
        pick(page, first, second)
        stale = page.evaluate("""() => {
            const shown = e => e.getBoundingClientRect().height > 0;
            const start = document.getElementById('hb-compare-default'), end = document.getElementById('hb-compare-end');
            const seen = [];
            for (let n = start; n && n !== end; n = n.nextElementSibling) if (shown(n)) seen.push(n.tagName + ' ' + n.textContent.slice(0, 40));
            return seen;
        }""")
        tables_shown = page.evaluate("""() => [...document.querySelectorAll('article table')]
            .filter(t => t.getBoundingClientRect().height > 0 && !document.getElementById('hb-compare-result').contains(t)).length""")
    finally:
        context.close()
    assert (stale, tables_shown) == ([], 0)
