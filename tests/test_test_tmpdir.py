"""scripts/test-tmpdir: `make test` keeps its temporary files in a private folder on a RAM-backed
tmpfs when the machine has one to spare, and in the usual temporary folder otherwise. `stat` and `df`
are stand-ins that say what kind of file system, and how much room, the folder has."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "test-tmpdir"
ENOUGH_KIB = 4 * 1024 * 1024


def run(tmp_path: Path, kind: str = "tmpfs", free_kib: int = ENOUGH_KIB, sticky: bool = True) -> tuple[Path, str]:
    """The shared folder the script is pointed at, and what it prints."""
    shared, fakes = tmp_path / "shm", tmp_path / "bin"
    shared.mkdir(exist_ok=True)
    shared.chmod(0o1777 if sticky else 0o777)
    fakes.mkdir(exist_ok=True)
    for name, body in {"stat": f"echo {kind}", "df": f"echo header; echo fs 1 1 {free_kib} 1% {shared}"}.items():
        (fakes / name).write_text(f"#!/bin/sh\n{body}\n")
        (fakes / name).chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{fakes}:{os.environ['PATH']}",
        "HANDBOOK_TEST_SHM": str(shared),
        "TMPDIR": "/fallback",
    }
    done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=True)
    return shared, done.stdout.strip()


def test_a_roomy_tmpfs_gets_a_private_folder_of_the_user(tmp_path: Path) -> None:
    shared, printed = run(tmp_path)
    folder = shared / f"handbook-tests-{os.getuid()}"
    assert printed == str(folder)
    assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_folder_left_open_to_others_is_made_private_again(tmp_path: Path) -> None:
    folder = tmp_path / "shm" / f"handbook-tests-{os.getuid()}"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    assert run(tmp_path)[1] == str(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.parametrize(("kind", "free_kib"), [("ext2/ext3", ENOUGH_KIB), ("tmpfs", ENOUGH_KIB - 1)])
def test_a_disk_or_a_small_tmpfs_means_the_usual_temporary_folder(tmp_path: Path, kind: str, free_kib: int) -> None:
    shared, printed = run(tmp_path, kind, free_kib)
    assert printed == "/fallback"
    assert list(shared.iterdir()) == []


def test_a_shared_folder_others_could_empty_is_not_used(tmp_path: Path) -> None:
    """Without the sticky bit anyone may rename our folder and put another in its place."""
    assert run(tmp_path, sticky=False)[1] == "/fallback"


def test_a_link_planted_in_the_shared_folder_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    (tmp_path / "shm").mkdir()
    (tmp_path / "shm" / f"handbook-tests-{os.getuid()}").symlink_to(elsewhere)
    assert run(tmp_path)[1] == "/fallback"
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user needs root")
def test_a_folder_another_user_made_first_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "shm" / "handbook-tests-0"
    folder.mkdir(parents=True)
    os.chown(folder, 65534, 65534)
    assert run(tmp_path)[1] == "/fallback"
