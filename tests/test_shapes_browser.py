"""The framework shapes of issue 23 (tests/shapes.py) in headless Chromium: axe finds no violation of
any impact on any kind of page, and nothing is hidden at 390, 768, 1280 or 1920 px on any page whose
content the shape decides."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

import pytest
from browserkit import axe_violations, new_page, require_chromium, serving
from conftest import invoke
from shapes import cumulative_packet, points_packet, write_cumulative, write_points
from test_reading import every_page, hidden_at_each_width_from_here, hidden_at_every_width

require_chromium()
# no xdist group: each shape is built once on the worker that runs it, so the two spread over both workers


@pytest.fixture(scope="module", params=["cumulative", "points"])
def shape_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp(request.param) / "handbook"
    if request.param == "cumulative":
        write_cumulative(root)
        cumulative_packet(root, [["tech-4-1"], ["deli-4-1"], ["feed-4-1", "coll-4-1"], ["lead-4-1"]])
    else:
        write_points(root)
        points_packet(root, {"mobile": 2, "web-client": 3})
    result = invoke("build", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    site = root / "site"
    with serving(site, search=False) as url:
        yield site, url


# Pages made from one template for each item of a collection; any other page is a kind of its own.
COLLECTIONS = (
    re.compile(r"/levels/changes/[^/]+/"),
    re.compile(r"/levels/(?!print/|changes/)[^/]+/"),
    re.compile(r"/(dimensions|metrics|packets|teams|pages)/[^/]+/"),
)


# Pages whose template and layout do not depend on the framework's shape: axe checks them on the
# default handbook (test_reading.PAGE_TYPES). The first two do not depend on its content either
# (the tool's schemas; the history of a repository, which these are not), so test_reading's widths
# check covers them too.
SAME_IN_ANY_SHAPE = ("/changelog/", "/schemas/", "/reference/", "/process/")
SAME_CONTENT_IN_ANY_SHAPE = SAME_IN_ANY_SHAPE[:2]


def one_page_of_each_kind(site: Path, paths: list[str]) -> set[str]:
    """The fullest page (largest HTML) of each collection, and every page that is not in one: axe's
    rules see a template's structure and colours, which every item of a collection shares."""
    kinds: dict[str, list[str]] = {}
    for path in paths:
        kind = next((c.pattern for c in COLLECTIONS if c.fullmatch(path)), path)
        kinds.setdefault(kind, []).append(path)
    return {max(group, key=lambda p: (site / p.strip("/") / "index.html").stat().st_size) for group in kinds.values()}


def test_one_page_of_each_kind_is_the_fullest_of_each_collection(tmp_path: Path) -> None:
    pages = {"/": 1, "/ladder/": 1, "/levels/a/": 5, "/levels/b/": 9, "/levels/print/": 1, "/levels/changes/a-to-b/": 1}
    pages |= {"/levels/changes/b-to-c/": 3, "/packets/x/": 2, "/packets/y/": 1}
    for path, size in pages.items():
        (tmp_path / path.strip("/")).mkdir(parents=True, exist_ok=True)
        (tmp_path / path.strip("/") / "index.html").write_text("x" * size)
    chosen = one_page_of_each_kind(tmp_path, list(pages))
    assert chosen == {"/", "/ladder/", "/levels/b/", "/levels/print/", "/levels/changes/b-to-c/", "/packets/x/"}


def test_no_axe_violation_and_nothing_hidden_on_any_page(browser: Browser, shape_site: tuple[Path, str]) -> None:
    site, url = shape_site
    context, page = new_page(browser, reduced_motion="reduce")
    found = []
    try:
        paths = [p for p in every_page(site) if not p.startswith(SAME_CONTENT_IN_ANY_SHAPE)]
        audited = {p for p in one_page_of_each_kind(site, paths) if not p.startswith(SAME_IN_ANY_SHAPE)}
        assert len(audited) < len(paths)
        for path in paths:
            if path not in audited:
                found += hidden_at_every_width(page, url + path)
                continue
            page.set_viewport_size({"width": 1280, "height": 900})  # axe at 1280 px, then the widths
            page.goto(url + path)
            page.wait_for_load_state("load")
            found += [f"{path}: {v['id']} ({v['impact']})" for v in axe_violations(page)]
            found += hidden_at_each_width_from_here(page, url + path)
    finally:
        context.close()
    assert found == []
