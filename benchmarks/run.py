"""Run every benchmark and print one table.

    python -m benchmarks.run            # full run (1,000 and 10,000 packets), ~5 minutes on 2 cores
    python -m benchmarks.run --quick    # smaller sizes, for a smoke test

Each figure is the median of --repeat runs of a real command in a fresh process, with its peak
resident memory (the largest single process). Figures are for comparison on one machine; they are
not assertions, and no test depends on them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from .synth import generate

REPO = Path(__file__).resolve().parent.parent
PACKET_SCHEMA = REPO / "generator" / "check" / "schemas" / "packet.schema.json"
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(time.perf_counter() - start, usage.ru_maxrss, code, usage.ru_utime + usage.ru_stime)\n"
)


def measure(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, repeat: int = 3, expect_success: bool = False
) -> tuple[float, int]:
    """Median seconds and peak RSS (MiB) of a command run `repeat` times."""
    times, peaks = [], []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, *command],
            cwd=cwd,
            capture_output=True,
            text=True,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
            check=True,
        ).stdout
        seconds, peak_kib, code, cpu = out.split()
        if expect_success and code != "0":
            raise SystemExit(f"benchmark command failed with exit {code}: {' '.join(command)}")
        times.append(float(seconds))
        peaks.append(int(peak_kib))
        CPU[" ".join(command)] = CPU.get(" ".join(command), []) + [float(cpu)]
    return statistics.median(times), max(peaks) // 1024


CPU: dict[str, list[float]] = {}  # user+sys seconds of every run of each command (the machine may be shared)


def cpu(command: list[str]) -> float:
    """Median CPU time (user+sys, the command and its children) of the runs of `command` so far."""
    return statistics.median(CPU[" ".join(command)])


def handbook(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def check_jsonschema() -> list[str] | None:
    found = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which("check-jsonschema")
    return [found] if found else None


def synthetic(folder: Path, packets: int, with_site: bool = False) -> Path:
    """A repository with a 1% sprinkling of errors to validate, or a clean one (with templates) to build."""
    target = folder / (f"site-org-{packets}" if with_site else f"org-{packets}")
    if not target.exists():
        generate(target, levels=6, metrics=10, packets=packets, seed=7, error_rate=0.0 if with_site else 0.01)
        if with_site:
            shutil.copy(REPO / "mkdocs.yml", target / "mkdocs.yml")  # templates and assets ship in the package
    return target


def floor_rows(folder: Path, size: int, repeat: int) -> list[list[str]]:
    """Ours against the floor (libyaml + jsonschema-rs, packets only) and check-jsonschema, on the
    same packets in the same run: the valid path (no error) and the error path (10% broken)."""
    rows = []
    for label, rate in (("valid path", 0.0), ("error path, 10% of packets broken", 0.10)):
        repo = folder / f"floor-{size}-{rate}"
        if not repo.exists():
            made = generate(repo, levels=6, metrics=10, packets=size, seed=11, error_rate=rate)
            print(f"  {label}: {made['packets_with_errors']} packets broken on purpose", file=sys.stderr)
        packets = sorted(str(p) for p in (repo / "packets").rglob("*.yaml"))
        ours_cmd = handbook("validate", "--root", str(repo), "--no-cache")
        floor_cmd = [sys.executable, "-m", "benchmarks.floor", *packets]
        ours = floor = None
        for _ in range(repeat):  # interleaved, so that a busy moment of a shared machine hits both
            ours = measure(ours_cmd, repo, repeat=1)
            floor = measure(floor_cmd, REPO, repeat=1)
        assert ours is not None and floor is not None
        ours_cpu, floor_cpu = cpu(ours_cmd), cpu(floor_cmd)
        rows.append(
            [
                f"validate --no-cache, {size:,} packets, {label}",
                f"{ours[0]:.2f} s wall, {ours_cpu:.2f} s CPU",
                f"{ours[1]} MiB",
                f"{ours_cpu / floor_cpu:.2f}× the floor in CPU, {ours[0] / floor[0]:.2f}× in wall",
                "everything validate does",
            ]
        )
        rows.append(
            [
                f"floor: libyaml + jsonschema-rs, same packets ({label})",
                f"{floor[0]:.2f} s wall, {floor_cpu:.2f} s CPU",
                f"{floor[1]} MiB",
                "",
                "parse and packet schema only",
            ]
        )
        other = check_jsonschema()
        if other:
            theirs_cmd = other + ["--schemafile", str(PACKET_SCHEMA), *packets]
            theirs = measure(theirs_cmd, repo, repeat=1)
            rows.append(
                [
                    f"check-jsonschema, same packets ({label})",
                    f"{theirs[0]:.2f} s wall, {cpu(theirs_cmd):.2f} s CPU",
                    f"{theirs[1]} MiB",
                    f"{cpu(theirs_cmd) / ours_cpu:.1f}× ours in CPU",
                    "packet schema only",
                ]
            )
    return rows


def validate_rows(folder: Path, sizes: list[int], repeat: int) -> list[list[str]]:
    rows = []
    other = check_jsonschema()
    for size in sizes:
        repo = synthetic(folder, size)
        packets = sorted(str(p) for p in (repo / "packets").rglob("*.yaml"))
        cache_dir = folder / f"cache-{size}"
        ours, ours_mem = measure(handbook("validate", "--root", str(repo), "--no-cache"), repo, repeat=repeat)
        measure(handbook("validate", "--root", str(repo)), repo, {"HANDBOOK_CACHE_DIR": str(cache_dir)}, repeat=1)
        warm, warm_mem = measure(
            handbook("validate", "--root", str(repo)), repo, {"HANDBOOK_CACHE_DIR": str(cache_dir)}, repeat=repeat
        )
        rows.append([f"validate {size:,} packets (no cache)", f"{ours:.2f} s", f"{ours_mem} MiB", "", ""])
        rows.append([f"validate {size:,} packets (warm cache)", f"{warm:.2f} s", f"{warm_mem} MiB", "", ""])
        if other:
            theirs, theirs_mem = measure(other + ["--schemafile", str(PACKET_SCHEMA), *packets], repo, repeat=1)
            rows.append(
                [
                    f"check-jsonschema, same {size:,} packets, packet schema only",
                    f"{theirs:.2f} s",
                    f"{theirs_mem} MiB",
                    f"{theirs / ours:.1f}× slower than ours (no cache)",
                    f"{theirs / warm:.1f}× (warm)",
                ]
            )
        else:
            rows.append(["check-jsonschema", "not installed", "", "pip install '.[bench]'", ""])
    return rows


def incremental_rows(folder: Path, size: int, repeat: int) -> list[list[str]]:
    repo = synthetic(folder, size)
    packet = sorted((repo / "packets").rglob("*.yaml"))[size // 2]
    original = packet.read_text()
    cache_dir = folder / f"cache-{size}"
    env = {"HANDBOOK_CACHE_DIR": str(cache_dir)}
    try:
        packet.write_text(original.replace("summary: ", "summary: Edited in a pull request. ", 1))
        seconds, peak = measure(
            handbook("validate", "--root", str(repo), str(packet)), repo, env, repeat=repeat, expect_success=False
        )
    finally:
        packet.write_text(original)
    return [
        [
            f"pull request: one changed packet in {size:,}",
            f"{seconds:.2f} s",
            f"{peak} MiB",
            "target < 1 s",
            "that packet + rubrics, levels, settings",
        ]
    ]


def build_rows(folder: Path, sizes: list[int], repeat: int, engines: list[str]) -> list[list[str]]:
    rows = []
    sys.path.insert(0, str(REPO))
    from generator.model.handbook import checked
    from generator.site.publish import generate_docs
    from generator.workspace.workspace import validate_repository

    report = validate_repository(REPO, today=date(2026, 11, 28))
    checked_handbook = checked(report.handbook)
    with tempfile.TemporaryDirectory() as docs:
        start = time.perf_counter()
        for _ in range(repeat):
            generate_docs(REPO, Path(docs) / "docs", checked_handbook, date.today())
        generation = (time.perf_counter() - start) / repeat
    for engine in engines:
        total, peak = measure(
            handbook("build", "--engine", engine, "--site-dir", str(folder / f"site-{engine}")),
            REPO,
            repeat=repeat,
            expect_success=True,
        )
        rows.append(
            [
                f"build default handbook ({engine})",
                f"{total:.2f} s",
                f"{peak} MiB",
                f"generation {generation * 1000:.0f} ms = {generation / total:.0%} of the build",
                "",
            ]
        )
    for engine in engines:
        previous = None
        for size in sizes:
            repo = synthetic(folder, size, with_site=True)
            total, peak = measure(
                handbook(
                    "build",
                    "--include-private",
                    "--engine",
                    engine,
                    "--site-dir",
                    str(folder / f"site-{engine}-{size}"),
                ),
                repo,
                repeat=1,
                expect_success=True,
            )
            growth = f"×{total / previous[1]:.1f} time for ×{size / previous[0]:.1f} packets" if previous else ""
            rows.append([f"internal build, {size:,} packets ({engine})", f"{total:.2f} s", f"{peak} MiB", growth, ""])
            previous = (size, total)
    return rows


def table(rows: list[list[str]]) -> str:
    header = ["benchmark", "time (median)", "peak RSS", "comparison", "note"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="Smaller sizes (100 and 500 packets).")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Keep synthetic repositories in this folder.")
    parser.add_argument("--json", type=Path, help="Also write the rows as JSON here.")
    args = parser.parse_args()
    sizes = [100, 500] if args.quick else [1000, 10000]
    build_sizes = [100, 300] if args.quick else [100, 300, 1000]
    engines = ["mkdocs"] + (
        ["zensical"]
        if shutil.which("zensical", path=str(Path(sys.executable).parent)) or _importable("zensical")
        else []
    )
    folder = args.keep or Path(tempfile.mkdtemp(prefix="handbook-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}",
        flush=True,
    )
    rows: list[list[str]] = []
    steps: tuple[tuple[str, Callable[[], list[list[str]]]], ...] = (
        ("floor", lambda: floor_rows(folder, 2000, args.repeat)),
        ("validate", lambda: validate_rows(folder, sizes, args.repeat)),
        ("incremental", lambda: incremental_rows(folder, sizes[-1], args.repeat)),
        ("build", lambda: build_rows(folder, build_sizes, args.repeat, engines)),
    )
    for title, step in steps:
        print(f"… {title}", file=sys.stderr, flush=True)
        rows += step()
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


if __name__ == "__main__":
    main()
