"""The internal build of a synthetic handbook with ~1,000 packets, split: page generation alone (in a
fresh process, templates compiled in the figure), the whole `handbook build --include-private`, and
a plain `mkdocs build` over the same generated Markdown (the engine's own time, the build's floor).

    python -m benchmarks.build_split [--packets 1000] [--repeat 3]

The whole build and the plain MkDocs build are run interleaved, `--repeat` times each, so that a
busy moment of a shared machine hits both; CPU time (user + system) is printed beside wall time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from .run import CPU, handbook, measure, synthetic, table

GENERATE = (
    "import sys, time\n"
    "from datetime import date\n"
    "from pathlib import Path\n"
    "from generator.site.publish import prepare_sources\n"
    "from generator.workspace.workspace import Workspace\n"
    "space = Workspace.find(Path(sys.argv[1]), None, date.today())\n"
    "space.handbook, space.changelog, space.site_aggregates(True)  # validation and history: not generation\n"
    "wall, cpu = time.perf_counter(), time.process_time()\n"
    "plan = prepare_sources(space, Path(sys.argv[2]), True)\n"
    "print(time.perf_counter() - wall, time.process_time() - cpu, len(plan.pages))\n"
)


def generation(repo: Path, workdir: Path) -> tuple[float, float, int]:
    """Seconds (wall, CPU) to generate every page in a fresh process, and how many pages."""
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", GENERATE, str(repo), str(workdir)],
        cwd=repo,  # the package installed (or on PYTHONPATH), as `handbook build` there imports it
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def split_rows(folder: Path, packets: int, repeat: int) -> list[list[str]]:
    repo = synthetic(folder, packets, with_site=True)
    workdir = folder / f"generated-{packets}"
    runs = []
    for _ in range(repeat):  # into an empty folder each time, as a build does
        shutil.rmtree(workdir, ignore_errors=True)
        runs.append(generation(repo, workdir))
    pages = runs[0][2]
    wall = statistics.median(r[0] for r in runs)
    cpu_time = statistics.median(r[1] for r in runs)
    ours_cmd = handbook("build", "--include-private", "--site-dir", str(folder / f"site-{packets}"))
    plain_cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(workdir / "mkdocs.yml")]
    plain_cmd += ["-d", str(folder / f"plain-{packets}")]
    ours_wall, plain_wall = [], []
    for _ in range(repeat):  # interleaved
        ours_wall.append(measure(ours_cmd, repo, repeat=1, expect_success=True)[0])
        plain_wall.append(measure(plain_cmd, repo, repeat=1, expect_success=True)[0])
    ours_cpu = statistics.median(CPU[" ".join(ours_cmd)])
    plain_cpu = statistics.median(CPU[" ".join(plain_cmd)])
    return [
        [
            f"page generation, {pages:,} pages ({packets:,} packets), fresh process",
            f"{wall:.2f} s wall, {cpu_time:.2f} s CPU",
            "",
            f"{cpu_time / pages * 1000:.2f} ms a page in CPU, {wall / pages * 1000:.2f} in wall",
            "target ≤ 1 ms a page",
        ],
        [
            f"internal build, {packets:,} packets, whole",
            f"{statistics.median(ours_wall):.2f} s wall, {ours_cpu:.2f} s CPU",
            "",
            f"{ours_cpu / plain_cpu:.2f}× plain MkDocs in CPU, "
            f"{statistics.median(ours_wall) / statistics.median(plain_wall):.2f}× in wall",
            "target ≤ 1.15×",
        ],
        [
            "plain `mkdocs build` over the same generated Markdown",
            f"{statistics.median(plain_wall):.2f} s wall, {plain_cpu:.2f} s CPU",
            "",
            "",
            "the engine's own time",
        ],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Keep the synthetic repository in this folder.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="handbook-bench-split-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(table(split_rows(folder, args.packets, args.repeat)))


if __name__ == "__main__":
    main()
