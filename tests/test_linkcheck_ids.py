"""The link check finds an anchor however the page writes its id (the common ` id="..."` by a
substring search, every other way by the full expression), and only a real id attribute."""

from __future__ import annotations

from pathlib import Path

from generator.site.linkcheck import check_site


def test_anchors_written_any_way_are_found_and_look_alikes_are_not(tmp_path: Path) -> None:
    anchors = ("plain", "single", "named", "newline", "spaced", "fake", "quote")
    (tmp_path / "index.html").write_text("".join(f'<a href="a.html#{name}">{name}</a>' for name in anchors))
    (tmp_path / "a.html").write_text(
        '<h2 id="plain">p</h2><h2 id=\'single\'>s</h2><a name="named"></a><h2\nid="newline">n</h2>'
        '<h2 id = "spaced">s</h2><div data-id="fake"></div><p title=\'id="quote"\'>q</p>'
    )
    broken = {b.target: b.reason for b in check_site(tmp_path)}
    assert broken == {
        "a.html#fake": "no element with id 'fake'",
        "a.html#quote": "no element with id 'quote'",
    }
