"""Issue 21: every defect the second hostile review reproduced, pinned by a test that failed before
its fix. Each test names the item it pins; the class of each defect has its own checks here too."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from conftest import invoke


def assert_one_line_error(result, *needles: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture
def fifo(tmp_path: Path):
    """A FIFO with a writer thread waiting on it: code that opens it blocking would read EOF (and
    so not hang the test) rather than refuse it."""
    path = tmp_path / "pipe"
    os.mkfifo(path)
    writer = threading.Thread(target=lambda: os.close(os.open(path, os.O_WRONLY)), daemon=True)
    writer.start()
    yield path
    try:  # release the writer if nothing opened the pipe for reading
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    except OSError:
        pass
    writer.join(timeout=5)


# --- item 12: every file path the CLI accepts goes through one bounded regular-file reader ----

def test_item12_identity_fifo_is_a_one_line_error(repo: Path, fifo: Path):
    result = invoke("calibrate", "2026-h1", "--identity", fifo, cwd=repo)
    assert_one_line_error(result, str(fifo), "FIFO")


def test_item12_identity_device_and_oversize_file_are_one_line_errors(repo: Path, tmp_path: Path):
    result = invoke("calibrate", "2026-h1", "--identity", "/dev/zero", cwd=repo)
    assert_one_line_error(result, "/dev/zero", "character device")
    big = tmp_path / "key.txt"
    big.write_text("# x\n" * 100_000)
    assert_one_line_error(invoke("calibrate", "2026-h1", "--identity", big, cwd=repo), str(big), "limit")


def test_item12_review_draft_from_a_fifo_is_a_one_line_error(repo: Path, fifo: Path):
    packet = next((repo / "packets").rglob("*.yaml"))
    result = invoke("review", packet, "--reviewer", "grace", "--from", fifo, cwd=repo)
    assert_one_line_error(result, "FIFO")


def test_item12_export_over_a_fifo_is_refused(repo: Path, fifo: Path):
    result = invoke("stats", "--export", fifo, cwd=repo)
    assert_one_line_error(result, "FIFO")
