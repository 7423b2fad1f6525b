"""Property: no input makes the CLI print a traceback (issue 21). Every command (but `serve`, which
runs a server until stopped) is driven in-process with generated arguments, generated files in
the repository (text, bytes, hostile YAML, FIFOs, links, folders), generated paths (devices,
FIFOs, folders, missing files) and generated environment values; each run must end with exit
status 0, 1 or 2 and, when it fails, a message rather than a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import FIXED_TODAY, invoke
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

CYCLE = "2026"
PACKET = "packets/2026/ada-lovelace.yaml"
# Arguments a shell can pass: no NUL, no lone surrogates.
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)
HOSTILE_YAML = st.sampled_from(
    [
        "criteria_version: " + "9" * 4400 + "\n",
        "a: &a [*a, *a]\n",
        "x: !!python/object/apply:os.system [id]\n",
        "key: [\n",
        "\tid: x\n",
        "id: x\nid: y\n",
        "- 1e400\n",
        "n: .nan\n",
        "n: 0x" + "f" * 5000 + "\n",
        "---\na: 1\n---\nb: 2\n",
        "<<: {a: 1}\n",
        "\ufeffid: x\n",
        'id: "\\e[31m"\n',
        "[" * 200 + "]" * 200 + "\n",
        "{}\n",
        "[]\n",
        "null\n",
        "decision: {status: promoted, date: '2026-01-01', submitted: '2026-12-31'}\n",
    ]
)
CONTENT = st.one_of(
    st.binary(max_size=300),
    TEXT.map(str.encode),
    HOSTILE_YAML.map(str.encode),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), TEXT),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
        max_leaves=8,
    ).map(lambda value: repr(value).encode()),
)
PLACES = st.sampled_from(
    [
        "site_config/handbook.yaml",
        "rubrics/dimensions/zz.yaml",
        "levels/zz.yaml",
        PACKET,
        "packets/2026/zz.yaml",
        "packets/2026/ada-lovelace.reviews/zz.yaml",
        "mkdocs.yml",
        "packets.yaml",
        "rubrics/composite.yaml",
        "site_config/process-health.json",
        "site_config/templates/level.md.j2",
        "rubrics/metrics/zz.yaml",
    ]
)
KINDS = st.sampled_from(["file", "file", "file", "fifo", "link-out", "folder"])
PATHS = (
    st.sampled_from(
        ["packet", "outside", "folder", "missing", "/dev/null", "/dev/zero", "fifo", "repo", "planted", "link-out"]
    )
    | TEXT
)
FORMATS = st.sampled_from(["text", "json", "markdown", "github", "gitlab", "sarif"]) | TEXT


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new organisation's handbook (what `handbook init` writes) with one packet, in git."""
    root = tmp_path_factory.mktemp("fuzz") / "handbook"
    assert invoke("init", root, "--name", "Fuzz", cwd=root.parent).returncode == 0
    made = invoke("new", "packet", "--candidate", "Ada Lovelace", "--target", "senior-engineer", cwd=root)
    assert made.returncode == 0, made.stderr
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "start"], cwd=root, check=True)
    return root


def _plant(root: Path, outside: Path, place: str, kind: str, content: bytes) -> None:
    target = root / place
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif os.path.lexists(target):
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "link-out":
        target.symlink_to(outside)
    elif kind == "folder":
        target.mkdir()
    else:
        target.write_bytes(content)


def _path(choice: str, root: Path, work: Path) -> str:
    return {
        "packet": str(root / PACKET),
        "outside": str(work / "outside.yaml"),
        "folder": str(work / "folder"),
        "missing": str(work / "missing.yaml"),
        "fifo": str(work / "pipe"),
        "repo": str(root),
        "planted": str(root / "rubrics/dimensions/zz.yaml"),
        "link-out": str(work / "link"),
    }.get(choice, choice)


@st.composite
def command_lines(draw: st.DrawFn, root: Path, work: Path) -> list[str]:
    """One command with generated options; PATH values become real paths of every kind."""

    def path() -> str:  # drawn lazily, only when used
        return _path(draw(PATHS), root, work)

    def maybe(*args: str) -> list[str]:
        return list(args) if draw(st.booleans()) else []

    today = maybe("--today", draw(st.sampled_from([FIXED_TODAY, "2027-02-30", "99999-01-01"]) | TEXT))
    root_option = maybe("--root", path())
    command = draw(
        st.sampled_from(
            [
                "validate",
                "build",
                "calibrate",
                "codeowners",
                "comment",
                "diff",
                "governance",
                "init",
                "lint",
                "new",
                "readiness",
                "release",
                "repin",
                "reveal",
                "review",
                "stats",
                "appeal",
                "assign",
                "decide",
                "keys",
                "reseal",
                "status",
                "teams",
            ]
        )
    )
    if command == "teams":
        team = draw(st.just("platform") | TEXT)
        return draw(
            st.sampled_from(
                [
                    ["teams", *root_option, *today],
                    ["teams", "show", team, *root_option, *today],
                    [
                        "teams",
                        "import",
                        team,
                        path(),
                        "--from",
                        draw(st.sampled_from(["csv", "git-tags", "git-merges"]) | TEXT),
                        *maybe("--kind", draw(st.just("incidents") | TEXT)),
                        *maybe("--map", f"{draw(TEXT)}={draw(TEXT)}"),
                        *maybe("--pattern", draw(TEXT)),
                        *root_option,
                    ],
                ]
            )
        )
    if command == "appeal":
        return [
            "appeal",
            path(),
            *maybe("--reason", draw(TEXT)),
            *maybe("--resolve", draw(st.just("upheld") | TEXT)),
            *maybe("--rationale", draw(TEXT)),
            *root_option,
            *today,
        ]
    if command == "assign":
        return ["assign", path(), "--reviewers", draw(st.just("grace,alan") | TEXT), *root_option, *today]
    if command == "decide":
        return [
            "decide",
            path(),
            *maybe("--outcome", draw(st.just("promoted") | TEXT)),
            *maybe("--rationale", draw(TEXT)),
            *maybe("--feedback", draw(TEXT)),
            *maybe("--effective", draw(st.just("2026-12-01") | TEXT)),
            *maybe("--discussed"),
            *maybe("--identity", path()),
            *root_option,
            *today,
        ]
    if command == "keys":
        who = draw(st.sampled_from(["--reviewer", "--committee"]))
        return ["keys", "new", *maybe(who, draw(st.just("grace") | TEXT)), *maybe("--out", path())]
    if command == "status":
        return [
            "status",
            draw(st.sampled_from([CYCLE, "current"]) | TEXT),
            *maybe("--format", draw(FORMATS)),
            *maybe("--manifest", path()),
            *root_option,
            *today,
        ]
    if command == "validate":
        return [
            "validate",
            *[path() for _ in range(draw(st.integers(0, 2)))],
            *maybe("--format", draw(FORMATS)),
            *maybe("--strict"),
            *maybe("--no-cache"),
            *root_option,
            *today,
        ]
    if command == "build":
        return ["build", *maybe("--site-dir", path()), *maybe("--include-private"), *today]
    if command in ("calibrate", "reveal", "reseal"):
        extra = [*maybe("--level", draw(TEXT)), *maybe("--format", draw(FORMATS))] if command == "calibrate" else []
        return [command, draw(st.just(CYCLE) | TEXT), *maybe("--identity", path()), *extra, *root_option, *today]
    if command == "comment":
        return [
            "comment",
            "--platform",
            draw(st.sampled_from(["github", "gitlab"]) | TEXT),
            *maybe("--base", draw(st.just("HEAD") | TEXT)),
            *maybe("--output", path()),
            *maybe("--dry-run"),
            *today,
        ]
    if command == "diff":
        return ["diff", *maybe(draw(st.just("HEAD") | TEXT)), *maybe("--format", draw(FORMATS)), *maybe("--check")]
    if command == "init":
        if draw(st.booleans()):
            return [
                "init",
                "packets",
                path(),
                *maybe("--handbook", draw(st.sampled_from([str(root), "file:///nowhere", "ext::sh -c id"]) | TEXT)),
                *maybe("--ref", draw(TEXT)),
                *maybe("--owner", draw(TEXT)),
            ]
        return ["init", path(), *maybe("--name", draw(TEXT)), *maybe("--owner", draw(TEXT)), *today]
    if command == "new":
        return [
            "new",
            "packet",
            "--candidate",
            draw(TEXT),
            "--target",
            draw(st.just("senior-engineer") | TEXT),
            *maybe("--current", draw(TEXT)),
            *maybe("--cycle", draw(TEXT)),
            *today,
        ]
    if command in ("readiness", "repin"):
        options = maybe("--format", draw(FORMATS)) if command == "readiness" else maybe("--dry-run")
        return [command, path(), *options, *today]
    if command == "review":

        def pairs(option: str) -> list[str]:
            return [item for _ in range(draw(st.integers(0, 2))) for item in (option, f"{draw(TEXT)}={draw(TEXT)}")]

        return [
            "review",
            path(),
            "--reviewer",
            draw(st.just("grace") | TEXT),
            *maybe("--from", path()),
            *pairs("--rating"),
            *pairs("--note"),
            *pairs("--met"),
            *pairs("--not-met"),
            *maybe("--counterexample", draw(TEXT)),
            *maybe("--replace"),
            *maybe("--signing-key", path()),
            *today,
        ]
    if command == "stats":
        return [
            "stats",
            *maybe("--format", draw(FORMATS)),
            *maybe("--export", path()),
            *maybe("--manifest", path()),
            *root_option,
            *today,
        ]
    if command == "release":
        return ["release", *maybe("--dry-run")]
    options = maybe("--format", draw(FORMATS)) if command in ("governance", "lint") else maybe("--check")
    return [command, *options, *today]


@st.composite
def environments(draw: st.DrawFn, work: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    if draw(st.booleans()):
        env["HANDBOOK_CACHE_DIR"] = draw(
            st.sampled_from([str(work / "cache"), str(work / "outside.yaml"), str(work / "shared"), "/dev/null"])
        )
    if draw(st.booleans()):
        env.update(
            {
                "GITHUB_EVENT_PATH": draw(
                    st.sampled_from([str(work / "outside.yaml"), str(work / "pipe"), "/dev/zero", str(work / "folder")])
                ),
                "GITHUB_TOKEN": "t",
                "GITHUB_API_URL": "http://127.0.0.1:9",
                "CI_API_V4_URL": "http://127.0.0.1:9",
                "CI_PROJECT_ID": draw(TEXT),
                "CI_MERGE_REQUEST_IID": draw(TEXT),
                "HANDBOOK_GITLAB_TOKEN": "t",
            }
        )
    return env


# Bounded for the suite (well under 30 s); HANDBOOK_FUZZ_EXAMPLES=N runs a longer, random exploration.
EXPLORE = int(os.environ.get("HANDBOOK_FUZZ_EXAMPLES", "0"))


@settings(
    max_examples=EXPLORE or 40,
    deadline=None,
    derandomize=not EXPLORE,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink) if EXPLORE else (Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_no_command_prints_a_traceback_for_any_input(base: Path, data: st.DataObject) -> None:
    work = Path(tempfile.mkdtemp(prefix="handbook-fuzz-"))
    try:
        root = work / "handbook"
        shutil.copytree(base, root, symlinks=True)
        (work / "outside.yaml").write_bytes(data.draw(CONTENT, label="outside file"))
        (work / "folder").mkdir()
        (work / "shared").mkdir(mode=0o777)
        os.chmod(work / "shared", 0o777)
        os.mkfifo(work / "pipe")
        (work / "link").symlink_to(work / "outside.yaml")
        for _ in range(data.draw(st.integers(1, 3), label="planted files")):
            _plant(
                root,
                work / "outside.yaml",
                data.draw(PLACES, label="place"),
                data.draw(KINDS, label="kind"),
                data.draw(CONTENT, label="content"),
            )
        args = data.draw(command_lines(root, work), label="command")
        if args[0] == "build":  # a file that never validates: no engine runs (seconds each); its checks are the point
            _plant(root, work / "outside.yaml", "rubrics/dimensions/never-valid.yaml", "file", b"id: [")
        env = data.draw(environments(work), label="environment")
        if os.environ.get("HANDBOOK_FUZZ_LOG"):  # which inputs ran, for a long exploration
            with open(os.environ["HANDBOOK_FUZZ_LOG"], "a", encoding="utf-8") as log:
                log.write(f"{args!r} {env!r}\n")
        result = invoke(*args, cwd=root, env=env)
        assert "Traceback" not in result.stderr, (args, result.stderr[-3000:])
        assert result.returncode in (0, 1, 2), (args, result.returncode, result.stderr[-1000:])
        if result.returncode:
            assert result.stderr.strip() or result.stdout.strip(), args  # a failure always says why
    finally:
        for folder in work.rglob("*"):
            if folder.is_dir() and not folder.is_symlink():
                os.chmod(folder, 0o700)
        shutil.rmtree(work, ignore_errors=True)
