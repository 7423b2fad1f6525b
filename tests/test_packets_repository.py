"""Two repositories, one tool: real packets in a packets repository that names its handbook by
path or by file:// URL; the handbook repository never reads them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_content, edit, invoke
from test_pinned_versions import commit, five_of_six_packet, git, move_to_2_0_0

MARKER = "Zqxpacketsrepo"


pytestmark = pytest.mark.xdist_group("packets-repository")  # its module-scoped fixture is built on one worker only


@pytest.fixture(scope="module")
def handbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = copy_content(tmp_path_factory.mktemp("two") / "handbook")
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "Handbook 1.3.0")
    move_to_2_0_0(repo)
    return repo


@pytest.fixture(params=["path", "file-url"])
def packets(request: pytest.FixtureRequest, handbook: Path, tmp_path: Path) -> Path:
    location = str(handbook) if request.param == "path" else handbook.as_uri()
    target = tmp_path / "packets-repo"
    result = invoke("init", "packets", str(target), "--handbook", location, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    packet = five_of_six_packet(handbook, target)
    edit(packet, "Pat Doe", f"{MARKER} Doe")
    return target


def test_init_scaffolds_the_repository_and_refuses_to_overwrite(packets: Path, handbook: Path, tmp_path: Path) -> None:
    for name in (
        "packets.yaml",
        "README.md",
        ".github/workflows/packets.yml",
        ".github/pull_request_template.md",
        ".gitignore",
    ):
        assert (packets / name).is_file(), name
    assert "site-internal/" in (packets / ".gitignore").read_text()
    assert "What leaves this repository" in (packets / "README.md").read_text()
    again = invoke("init", "packets", str(packets), "--handbook", str(handbook), cwd=tmp_path)
    assert again.returncode == 1 and "refusing to overwrite" in again.stderr
    wrong = invoke("init", "packets", str(tmp_path / "other"), "--handbook", str(tmp_path), cwd=tmp_path)
    assert wrong.returncode == 1 and "not a handbook repository" in wrong.stderr


def test_commands_work_inside_a_packets_repository(packets: Path) -> None:
    result = invoke("validate", cwd=packets)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "packets/2026-h2/pat-doe.yaml" in result.stdout and "as pinned" in result.stdout
    assert "private-packets-in-handbook" not in result.stdout  # they are where they belong
    readiness = invoke("readiness", "2026-h2/pat-doe.yaml", cwd=packets / "packets")
    assert readiness.returncode == 0, readiness.stderr
    assert "Coverage: 5 of 6 target-level criteria (83%)" in readiness.stdout
    created = invoke("new", "packet", "--candidate", "Ada Lovelace", "--target", "ic3", cwd=packets)
    assert created.returncode == 0, created.stderr
    assert (packets / "packets/2026-h2/ada-lovelace.yaml").is_file()
    assert invoke("validate", "packets/2026-h2/ada-lovelace.yaml", cwd=packets).returncode == 0
    stats = invoke("stats", cwd=packets)
    assert stats.returncode == 0 and "open until 2026-12-11" in stats.stdout


def test_internal_build_in_a_packets_repository(packets: Path, handbook: Path) -> None:
    refused = invoke("build", cwd=packets)
    assert refused.returncode == 1 and "--include-private" in refused.stderr
    result = invoke("build", "--include-private", cwd=packets)
    assert result.returncode == 0, result.stderr
    page = packets / "site-internal" / "packets" / "pat-doe" / "index.html"
    assert "5 of 6 criteria covered (83%)" in " ".join(page.read_text().split())
    assert not (handbook / "site-internal").exists()


def test_the_handbooks_public_build_never_sees_the_packets(packets: Path, handbook: Path, tmp_path: Path) -> None:
    site = tmp_path / "public"
    result = invoke("build", "--site-dir", str(site), cwd=handbook)
    assert result.returncode == 0, result.stderr
    for path in site.rglob("*"):
        if path.is_file():
            assert MARKER.lower().encode() not in path.read_bytes().lower(), path


def test_a_broken_manifest_is_reported_with_its_position(packets: Path) -> None:
    (packets / "packets.yaml").write_text("handbook: ../x\nhandbok: typo\n")
    result = invoke("validate", cwd=packets)
    assert result.returncode == 1 and "packets.yaml:2:1:" in result.stderr and "Traceback" not in result.stderr


def test_single_repository_layout_warns_unless_acknowledged(tmp_path: Path) -> None:
    repo = copy_content(tmp_path / "hb")
    five_of_six_packet(repo)
    result = invoke("validate", cwd=repo)
    assert result.returncode == 0 and "[private-packets-in-handbook]" in result.stdout
    edit(
        repo / "site_config/handbook.yaml",
        "  allowed_link_schemes: [https]",
        "  allowed_link_schemes: [https]\n  acknowledge_private_packets: true",
    )
    assert "private-packets-in-handbook" not in invoke("validate", cwd=repo).stdout
    shutil.rmtree(repo / "packets" / "2026-h2")
    assert "private-packets-in-handbook" not in invoke("validate", cwd=repo).stdout


def test_serve_previews_the_internal_site_of_a_packets_repository(packets: Path) -> None:
    from test_serve import SERVE_ENV, fetch, free_port, stop_serve, wait_for

    refused = invoke("serve", cwd=packets)
    assert refused.returncode == 1 and "--include-private" in refused.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--include-private", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=packets,
        env=SERVE_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    page = f"http://127.0.0.1:{port}/packets/pat-doe/"
    try:
        assert wait_for(lambda: MARKER in (fetch(page) or "")), "the private packet is previewed"
        assert "5 of 6 criteria covered (83%)" in " ".join((fetch(page) or "").split())  # as pinned
        packet = packets / "packets/2026-h2/pat-doe.yaml"
        edit(packet, f"{MARKER} Doe", f"{MARKER} Doe-Renamed")
        assert wait_for(lambda: "Doe-Renamed" in (fetch(page) or "")), "an edited packet regenerates"
    finally:
        stop_serve(server)
