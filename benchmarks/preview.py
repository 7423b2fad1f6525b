"""Browser-level benchmark of `handbook serve`: save a YAML file -> the change is visible in the page.

    python -m benchmarks.preview [--edits 5]

A copy of the default handbook is served by the real command; headless Chromium (Playwright, the
Debian browser at /usr/bin/chromium) holds a page open, and each edit writes a new sentence into a
YAML file and waits until the page shows it: the watcher, regeneration, the engine's rebuild and
the browser's live reload, end to end. Prints the median of the edits for each kind of file, and
beside it the CPU time (user + system) the preview's processes spent from the save to the change
(read from /proc; on a shared machine the comparable figure).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONTENT = ("site_config", "rubrics", "levels", "packets", "mkdocs.yml")
# what scripts/ensure-browser installs, or full Chromium where that is all there is
CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# (what is edited, the page that shows it, the sentence in the file that each edit rewrites)
EDITS = (
    (
        "a criterion (rubrics/dimensions/reliability.yaml)",
        "rubrics/dimensions/reliability.yaml",
        "levels/ic4/",
        "Shapes on-call for several teams",
    ),
    (
        "an example packet (packets/examples/priya-raman-senior.yaml)",
        "packets/examples/priya-raman-senior.yaml",
        "packets/priya-raman-senior/",
        "p95 invoice render time fell from 1.8 s to 240 ms",
    ),
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _up(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the preview never answered at {url}")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # a process that ended meanwhile
        process = int(stat.parent.name)
        parents[process] = int(fields[1])
        used[process] = (int(fields[11]) + int(fields[12])) / tick
    tree, found = {pid}, True
    while found:
        found = False
        for process, parent in parents.items():
            if parent in tree and process not in tree:
                tree.add(process)
                found = True
    return sum(used.get(process, 0.0) for process in tree)


def measure(edits: int) -> list[tuple[str, list[float], list[float]]]:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="handbook-preview-bench-"))
    for name in CONTENT:
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, folder / name)
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=folder,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    results = []
    try:
        _up(base)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page()
            for title, file, address, sentence in EDITS:
                page.goto(base + address)
                page.get_by_text(sentence, exact=False).first.wait_for(timeout=60_000)
                path = folder / file
                current = sentence
                times, cpu = [], []
                for number in range(edits):
                    time.sleep(1.0)  # let the previous rebuild settle, as between two saves by a person
                    marker = f"{sentence} (edit {number + 1})"
                    path.write_text(path.read_text("utf-8").replace(current, marker, 1), "utf-8")
                    start, used = time.perf_counter(), tree_cpu(server.pid)
                    page.get_by_text(marker, exact=False).first.wait_for(timeout=60_000)
                    times.append(time.perf_counter() - start)
                    cpu.append(tree_cpu(server.pid) - used)
                    current = marker
                results.append((title, times, cpu))
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(folder, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    print("| save → visible change | median (wall) | each edit | median CPU of the preview |")
    print("|---|---|---|---|")
    for title, times, cpu in measure(args.edits):
        each = ", ".join(f"{t:.2f}" for t in times)
        print(f"| {title} | {statistics.median(times):.2f} s | {each} | {statistics.median(cpu):.2f} s |")


if __name__ == "__main__":
    main()
