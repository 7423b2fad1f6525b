"""The package's shape: stages in one order, no import loops, no import against the flow, and a
CLI that starts without the heavy libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "generator"
STAGES = ("model", "load", "check", "compute", "render", "report", "git", "workspace", "site", "actions", "cli")
HEAVY = ("jsonschema", "jsonschema_rs", "mkdocs", "jinja2", "playwright", "pyrage", "markdown", "nh3", "yaml")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every generator module `name` imports, at any depth of its code (function bodies and
    TYPE_CHECKING blocks included: a loop through a lazy import is still a loop)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {f for f in found if f in known and f != name}


def stage(name: str) -> int | None:
    parts = name.split(".")
    return STAGES.index(parts[1]) if len(parts) > 1 and parts[1] in STAGES else None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, set(known)) for name, path in known.items()}


def test_every_module_lives_in_a_stage(graph: dict[str, set[str]]) -> None:
    loose = [n for n in graph if stage(n) is None and n not in ("generator", "generator.__main__")]
    assert not loose, f"modules outside the stage packages {STAGES}: {loose}"


def test_the_top_of_the_package_is_its_stages() -> None:
    """The tree shows the flow: each stage keeps its own files (schemas, templates, data)."""
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    assert entries == {*STAGES, "__init__.py", "__main__.py"}


def backward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{a} -> {b}"
        for a, deps in graph.items()
        for b in deps
        if (sa := stage(a)) is not None and (sb := stage(b)) is not None and sb > sa
    )


def import_loops(graph: dict[str, set[str]]) -> list[str]:
    loops = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                loops.append(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return loops


def test_no_import_against_the_flow(graph: dict[str, set[str]]) -> None:
    assert not backward_imports(graph), "imports from a lower stage into a higher one:\n" + "\n".join(
        backward_imports(graph)
    )


def test_no_import_loops(graph: dict[str, set[str]]) -> None:
    assert not import_loops(graph), "import loops:\n" + "\n".join(import_loops(graph))


def test_the_checks_find_a_planted_loop_and_backward_import(graph: dict[str, set[str]]) -> None:
    planted = {**graph, "generator.model.pinned": graph["generator.model.pinned"] | {"generator.git.pinned"}}
    assert "generator.model.pinned -> generator.git.pinned" in backward_imports(planted)
    assert any("generator.model.pinned" in loop for loop in import_loops(planted))


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys; from generator.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:' + ','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "HEAVY:", f"handbook --help imported: {result.stdout.splitlines()[-1]}"


def test_validating_a_valid_packet_leaves_the_pure_python_validator_unimported() -> None:
    """The pre-commit hook validates the files it is given: the compiled validator answers for a
    valid one; the pure-Python one, which explains failures, is imported only for a broken one."""
    code = (
        "import sys; from generator.cli import main\n"
        "try:\n    main(['validate', '--today', '2026-11-28', '--root', sys.argv[1], sys.argv[2]])\nexcept SystemExit as end:\n"
        "    print('EXIT:', end.code)\n"
        "print('PURE:', 'jsonschema' in sys.modules)"
    )
    packet = PACKAGE.parent / "packets" / "examples" / "priya-raman-senior.yaml"
    result = subprocess.run(
        [sys.executable, "-c", code, str(PACKAGE.parent), str(packet)], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-2:] == ["EXIT: 0", "PURE: False"], result.stdout


def test_only_the_cli_reads_the_clock() -> None:
    """Every computation gets `today` from its caller: the one fallback to the clock is --today's default."""
    readers = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("today", "now", "utcnow")
                and getattr(node.func.value, "id", "") in ("date", "datetime")
            ):
                readers.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert any(r.startswith("cli/common.py:") for r in readers), "the check sees --today's default"
    assert [r for r in readers if not r.startswith("cli/common.py:")] == []
