"""write_tree fills a private folder: new files created directly (never through a link), changed
ones replaced whole, unchanged ones left alone, the rest removed."""

from __future__ import annotations

from pathlib import Path

from generator.load.safe_files import create_new
from generator.site.publish import write_tree


def test_create_new_never_writes_over_a_file_or_through_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep", "utf-8")
    link = tmp_path / "page.md"
    link.symlink_to(outside)
    assert create_new(link, b"new") is False
    assert create_new(outside, b"new") is False
    assert outside.read_text("utf-8") == "keep"
    assert create_new(tmp_path / "fresh.md", b"new") is True
    assert (tmp_path / "fresh.md").read_bytes() == b"new"


def test_write_tree_creates_replaces_keeps_and_removes(tmp_path: Path) -> None:
    docs, outside = tmp_path / "docs", tmp_path / "outside.txt"
    outside.write_text("keep", "utf-8")
    write_tree(docs, {"a.md": "one", "deep/b.md": "two", "gone.md": "three", "logo.png": b"\x89PNG"})
    same = (docs / "a.md").stat().st_mtime_ns
    (docs / "deep/b.md").unlink()
    (docs / "deep/b.md").symlink_to(outside)  # planted: replaced, never written through
    write_tree(docs, {"a.md": "one", "deep/b.md": "TWO", "logo.png": b"\x89PNG"})
    assert (docs / "a.md").stat().st_mtime_ns == same
    assert not (docs / "deep/b.md").is_symlink() and (docs / "deep/b.md").read_text("utf-8") == "TWO"
    assert outside.read_text("utf-8") == "keep"
    assert sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*")) == ["a.md", "deep", "deep/b.md", "logo.png"]
