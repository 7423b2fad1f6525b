"""The built wheel holds everything `handbook init` and `handbook build` need: a new organisation starts
from the installed package alone, in a folder that has never seen this repository."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import FIXED_TODAY, REPO, invoke


def _run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A fresh venv in a temp folder with only the wheel installed; dependencies come from the test
    environment through a .pth file (so the test needs no network), never the source tree."""
    work = tmp_path_factory.mktemp("wheel")
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(REPO), "-w", str(work / "dist"), cwd=work)
    assert built.returncode == 0, built.stderr
    [wheel] = (work / "dist").glob("handbook-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "generator/render/templates/home.md.j2",
        "generator/render/templates/reports/readiness.txt.j2",
        "generator/render/templates/assets/handbook.css",
        "generator/render/templates/mkdocs.yml",
        "generator/render/templates/init/handbook.yaml.j2",
        "generator/check/schemas/level.schema.json",
    ):
        assert needed in names, needed
    venv = work / "venv"
    assert _run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=work).returncode == 0
    python = venv / "bin" / "python"
    purelib = Path(
        _run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work).stdout.strip()
    )
    installed = _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        str(wheel),
        cwd=work,
    )
    assert installed.returncode == 0, installed.stderr
    (purelib / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HANDBOOK_TODAY=FIXED_TODAY, NO_MKDOCS_2_WARNING="1", PATH=f"{venv / 'bin'}:{env.get('PATH', '')}")
    where = _run(str(python), "-c", "import generator; print(generator.__file__)", cwd=work, env=env).stdout
    assert where.startswith(str(purelib)), where  # the wheel's code, not the source tree's
    return venv, env


def test_init_from_the_installed_wheel_validates_and_builds(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    venv, env = installed
    handbook = str(venv / "bin" / "handbook")
    created = _run(handbook, "init", "acme-handbook", "--name", "Acme Robotics", cwd=tmp_path, env=env)
    assert created.returncode == 0, created.stderr
    root = tmp_path / "acme-handbook"
    assert _run(handbook, "validate", cwd=root, env=env).stdout.strip().endswith("0 errors, 0 warnings")
    built = _run(handbook, "build", cwd=root, env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    home = (root / "site" / "index.html").read_text("utf-8")
    assert "<title>Acme Robotics Handbook</title>" in home
    for path in root.rglob("*"):
        if path.is_file() and path.suffix not in (".gz",):
            assert b"Northwind" not in path.read_bytes(), path
    assert (root / "site" / "levels" / "changes" / "engineer-to-senior-engineer" / "index.html").is_file()


def test_init_writes_a_complete_blank_repository(tmp_path: Path) -> None:
    result = invoke("init", "new", "--name", "Acme Robotics", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    root = tmp_path / "new"
    for path in (
        ".github/workflows/pull-request.yml",
        ".github/workflows/publish.yml",
        ".github/PULL_REQUEST_TEMPLATE/packet.md",
        ".github/PULL_REQUEST_TEMPLATE/rubric-change.md",
        "README.md",
        "site_config/handbook.yaml",
        "levels/engineer.yaml",
        "levels/senior-engineer.yaml",
        "rubrics/dimensions/delivery.yaml",
        "rubrics/dimensions/collaboration.yaml",
        "schemas/level.schema.json",
        "requirements.txt",
    ):
        assert (root / path).is_file(), path
    assert 'name: "Acme Robotics"' in (root / "site_config/handbook.yaml").read_text()
    assert "${{ github.event.pull_request.base.sha }}" in (root / ".github/workflows/pull-request.yml").read_text()
    assert not (root / "packets").exists() and not (root / ".git").exists()
    for yaml_file in root.rglob("*.yaml"):  # every modeline resolves to a schema written beside it
        first = yaml_file.read_text().splitlines()[0]
        assert (yaml_file.parent / first.split("$schema=", 1)[1]).resolve().is_file(), yaml_file


@pytest.mark.parametrize("existing", ["file.txt", ".git/HEAD"])
def test_init_never_writes_over_an_existing_folder(tmp_path: Path, existing: str) -> None:
    target = tmp_path / "taken"
    (target / existing).parent.mkdir(parents=True, exist_ok=True)
    (target / existing).write_text("mine")
    result = invoke("init", str(target), cwd=tmp_path)
    assert result.returncode == 1 and "already exists and is not empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == [existing]
