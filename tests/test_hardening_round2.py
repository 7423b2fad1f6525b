"""Issue 21: every defect the second hostile review reproduced, pinned by a test that failed before
its fix. Each test names the item it pins; the class of each defect has its own checks here too."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
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


def test_item12_identity_fifo_is_a_one_line_error(repo: Path, fifo: Path) -> None:
    result = invoke("calibrate", "2026-h1", "--identity", fifo, cwd=repo)
    assert_one_line_error(result, str(fifo), "FIFO")


def test_item12_identity_device_and_oversize_file_are_one_line_errors(repo: Path, tmp_path: Path) -> None:
    result = invoke("calibrate", "2026-h1", "--identity", "/dev/zero", cwd=repo)
    assert_one_line_error(result, "/dev/zero", "character device")
    big = tmp_path / "key.txt"
    big.write_text("# x\n" * 100_000)
    assert_one_line_error(invoke("calibrate", "2026-h1", "--identity", big, cwd=repo), str(big), "limit")


def test_item12_review_draft_from_a_fifo_is_a_one_line_error(repo: Path, fifo: Path) -> None:
    packet = repo / "packets/examples/amara-okafor-senior.yaml"  # submitted: still open to reviews
    result = invoke("review", packet, "--reviewer", "grace", "--from", fifo, cwd=repo)
    assert_one_line_error(result, "FIFO")


def test_item12_export_over_a_fifo_is_refused(repo: Path, fifo: Path) -> None:
    result = invoke("stats", "--export", fifo, cwd=repo)
    assert_one_line_error(result, "FIFO")


# --- item 11: every file the tool writes goes through one exclusive-temp-then-rename helper ---


def test_item11_export_never_writes_through_a_planted_temporary_link(repo: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "handbook-checkout" / "site_config"
    out.mkdir(parents=True)
    (out / ".process-health.json.tmp").symlink_to(victim)
    target = out / "process-health.json"
    result = invoke("stats", "--export", target, cwd=repo)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "precious\n"
    assert target.is_file() and not target.is_symlink() and '"format": 1' in target.read_text()


def test_item11_writers_replace_a_link_at_the_target_instead_of_writing_through_it(repo: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    codeowners = repo / ".github" / "CODEOWNERS"
    codeowners.parent.mkdir()
    codeowners.symlink_to(victim)
    assert invoke("codeowners", cwd=repo).returncode == 0
    assert victim.read_text() == "precious\n" and not codeowners.is_symlink() and "/packets/" in codeowners.read_text()


def test_item11_the_writer_creates_its_temporary_file_exclusively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.load import safe_files

    target = tmp_path / "out.json"
    for name in (f".{target.name}.tmp", f"{target.name}.tmp"):
        (tmp_path / name).symlink_to(tmp_path / "victim")
    safe_files.write_exclusive(target, "data")
    assert target.read_text() == "data" and not (tmp_path / "victim").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".out.json.tmp", "out.json", "out.json.tmp"])


# --- item 8: the build lock is a regular file of ours, or a one-line error ---------------------


@pytest.mark.parametrize("plant", ["symlink", "fifo", "folder", "dangling"])
def test_item8_a_planted_build_lock_is_a_one_line_error(repo: Path, tmp_path: Path, plant: str) -> None:
    staging = repo / ".handbook-build"
    staging.mkdir(mode=0o700)
    lock = staging / "site.lock"
    if plant == "symlink":
        (tmp_path / "victim").write_text("x")
        lock.symlink_to(tmp_path / "victim")
    elif plant == "dangling":
        lock.symlink_to(tmp_path / "nowhere")
    elif plant == "fifo":
        os.mkfifo(lock)
    else:
        lock.mkdir()
    result = invoke("build", "--site-dir", repo / "site", cwd=repo)
    assert_one_line_error(result, "site.lock", "remove it")
    assert not (repo / "site").exists() and not (tmp_path / "nowhere").exists()


# --- item 13: no file the tool reads is followed through a link out of the repository ---------


def test_item13_mkdocs_yml_linked_out_of_the_repository_is_refused_and_never_quoted(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secrets.yml"
    secret.write_text('token: "ghp_leakedtoken"\n  bad: [\n')
    (repo / "mkdocs.yml").unlink()
    (repo / "mkdocs.yml").symlink_to(secret)
    checked = invoke("validate", "--no-cache", cwd=repo)
    assert checked.returncode == 1 and "mkdocs.yml:1:1: error: symbolic links are not followed" in checked.stdout
    built = invoke("build", "--site-dir", tmp_path / "site", cwd=repo)
    assert built.returncode != 0 and "Traceback" not in built.stderr
    assert "ghp_" not in built.stdout + built.stderr + checked.stdout + checked.stderr


def test_item13_overrides_file_that_is_a_folder_is_an_error_not_skipped(repo: Path, tmp_path: Path) -> None:
    from generator.render.config import ConfigError, base_config
    from generator.workspace.workspace import Workspace

    settings = Workspace(repo, __import__("datetime").date(2026, 11, 28)).handbook.settings
    (repo / "mkdocs.yml").unlink()
    (repo / "mkdocs.yml").mkdir()
    with pytest.raises(ConfigError, match="folder"):
        base_config(repo, settings)


# --- item 4: every number is bounded, in the loader and in the schemas ------------------------

HUGE = "9" * 4400


@pytest.mark.parametrize("fmt", ["text", "json", "github", "gitlab", "sarif"])
def test_item4_a_huge_integer_is_a_located_error_in_every_format(repo: Path, fmt: str) -> None:
    settings = repo / "site_config" / "handbook.yaml"
    text = settings.read_text()
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("criteria_version:"))
    settings.write_text(
        "\n".join(f"criteria_version: {HUGE}" if n == line else row for n, row in enumerate(text.splitlines(), 1))
        + "\n"
    )
    result = invoke("validate", "--no-cache", "--format", fmt, cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "number-out-of-range" in result.stdout and HUGE not in result.stdout
    if fmt == "text":
        assert f"site_config/handbook.yaml:{line}:19: error: number out of range" in result.stdout


def test_item4_huge_numbers_in_a_packet_and_aggregates_never_crash_a_command(repo: Path) -> None:
    from generator.load.loader import load_bytes

    packet = next(p for p in (repo / "packets").rglob("*.yaml") if ".reviews" not in str(p))
    packet.write_text(packet.read_text().replace("criteria_version:", f"extra: {HUGE}\ncriteria_version:", 1))
    for args in (
        ("validate", "--no-cache"),
        ("readiness", packet),
        ("build", "--site-dir", repo / "site"),
        ("stats",),
        ("calibrate", "2026-h1"),
    ):
        result = invoke(*args, cwd=repo)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert result.returncode != 0, args
    for text in (f"n: 0x{'f' * 5000}", "n: 1e400", "n: .nan", "n: -.inf", f"n: {HUGE}.5"):
        loaded = load_bytes(text.encode(), "x.yaml")
        assert [d.code for d in loaded.diagnostics] == ["number-out-of-range"], text


def test_item4_every_number_the_schemas_accept_is_bounded() -> None:
    import json

    from conftest import REPO

    unbounded: list[str] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            kind = node.get("type")  # a dict here is a property named "type", not a type
            types = kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
            if {"integer", "number"} & set(types):
                if not ({"minimum", "exclusiveMinimum"} & set(node) and {"maximum", "exclusiveMaximum"} & set(node)):
                    unbounded.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    for schema in sorted((REPO / "generator" / "check" / "schemas").glob("*.json")):
        walk(json.loads(schema.read_text()), schema.name)
    assert unbounded == []


# --- item 2: the token never leaves the configured API host; every non-2xx or odd answer is an error


@pytest.fixture
def servers() -> Iterator[dict[str, Any]]:
    """An API that answers every call with STATUS (a redirect to the collector, or BODY), and a
    collector on another host that records what reaches it."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state: dict[str, Any] = {"status": 307, "body": None, "collected": []}  # the tests set status and body

    class Collector(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            state["collected"].append((self.command, dict(self.headers)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"id": 1}')

        do_GET = do_POST = do_PATCH = do_PUT = _handle

    class Api(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, body = state["status"], state["body"]
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"http://localhost:{collector.server_port}{self.path}")
                body = b""
            elif self.command == "GET" and self.path.endswith("/user"):
                body = b'{"id": 7}'
            elif self.command == "GET":
                body = b"[]"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_PUT = _handle

    collector = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    api = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    for server in (collector, api):
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    state["api"] = f"http://127.0.0.1:{api.server_port}"
    yield state
    for server in (collector, api):
        server.shutdown()
        server.server_close()


def _platform_env(platform: str, state: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    import json

    if platform == "github":
        (tmp_path / "event.json").write_text(json.dumps({"number": 12, "pull_request": {"number": 12}}))
        return {
            "GITHUB_API_URL": state["api"],
            "GITHUB_REPOSITORY": "acme/handbook",
            "GITHUB_TOKEN": "ghs_secret",
            "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        }
    return {
        "CI_API_V4_URL": f"{state['api']}/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "3",
        "HANDBOOK_GITLAB_TOKEN": "glpat-secret",
    }


@pytest.mark.parametrize("platform", ["github", "gitlab"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_item2_a_redirect_never_carries_the_token_to_another_host(
    servers: dict[str, Any], tmp_path: Path, platform: str, status: int
) -> None:
    from generator.actions.ci_comment import POSTERS, CommentError

    servers["status"] = status
    with pytest.raises(CommentError, match=f"HTTP {status}"):
        POSTERS[platform]("<!-- handbook-readiness-report -->\nbody", _platform_env(platform, servers, tmp_path))
    assert servers["collected"] == []


@pytest.mark.parametrize("platform", ["github", "gitlab"])
@pytest.mark.parametrize(
    "status, body", [(200, b"[]"), (200, b'{"no": "id"}'), (200, b"not json"), (204, b""), (202, b'{"id": "x"}')]
)
def test_item2_an_answer_that_is_not_a_created_comment_is_an_error(
    servers: dict[str, Any], tmp_path: Path, platform: str, status: int, body: bytes
) -> None:
    from generator.actions.ci_comment import POSTERS, CommentError

    servers["status"], servers["body"] = status, body
    with pytest.raises(CommentError):
        POSTERS[platform]("<!-- handbook-readiness-report -->\nbody", _platform_env(platform, servers, tmp_path))


@pytest.mark.parametrize(
    "event", ['{"number": "12; rm"}', '{"pull_request": "x", "number": [1]}', "[]", '{"number": true}']
)
def test_item2_odd_event_payloads_are_errors_not_tracebacks(tmp_path: Path, event: str) -> None:
    from generator.actions.ci_comment import CommentError, post_github

    (tmp_path / "event.json").write_text(event)
    env = {
        "GITHUB_TOKEN": "t",
        "GITHUB_REPOSITORY": "a/b",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_API_URL": "http://127.0.0.1:9",
    }
    try:
        outcome = post_github("body", env)
    except CommentError:
        return
    assert outcome.action == "summary"


# --- item 3: durations from declared dates; an impossible duration is left out and named -------


@pytest.fixture
def moved_packets(tmp_path: Path) -> Path:
    """Packets decided in June, committed in November (moved into a new packets repository)."""
    import subprocess

    from conftest import copy_content
    from test_process_health import commit, packet

    repo = copy_content(tmp_path / "moved")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    folder = repo / "packets" / "2026-h1"
    folder.mkdir(parents=True)
    for index in range(6):
        text = packet(f"m{index}", "2026-h1", "promoted" if index % 2 else "not-yet", f"2026-06-{10 + index}")
        if index == 0:  # one packet declares when it was submitted
            text = text.replace("decision:\n", 'decision:\n  submitted: "2026-05-01"\n')
        (folder / f"m{index}.yaml").write_text(text)
    commit(repo, "packets moved here", "2026-11-26")
    return repo


def test_item3_negative_durations_are_left_out_and_named_never_a_traceback(moved_packets: Path, tmp_path: Path) -> None:
    import json

    shown = invoke("stats", "--format", "json", cwd=moved_packets)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
    live = [c["value"] for cycle in json.loads(shown.stdout)["cycles"] for f in cycle["figures"] for c in f["cells"]]
    assert live and all(v is None or v >= 0 for v in live)  # no negative figure anywhere
    for index in range(1, 6):
        assert f"packets/2026-h1/m{index}.yaml: decided" in shown.stderr
    assert "m0.yaml" not in shown.stderr  # its declared submission date is used
    exported = invoke("stats", "--export", tmp_path / "out.json", cwd=moved_packets)
    assert exported.returncode == 0 and "Traceback" not in exported.stderr, exported.stderr
    document = json.loads((tmp_path / "out.json").read_text())
    values = [c["value"] for cycle in document["cycles"] for f in cycle["figures"] for c in f["cells"]]
    assert all(v is None or v >= 0 for v in values)


def test_item3_declared_submission_dates_give_the_duration(moved_packets: Path) -> None:
    import json

    for path in sorted((moved_packets / "packets" / "2026-h1").glob("m*.yaml")):
        text = path.read_text()
        if "submitted:" not in text:
            path.write_text(text.replace("decision:\n", 'decision:\n  submitted: "2026-05-01"\n'))
    shown = invoke("stats", "--format", "json", cwd=moved_packets)
    assert shown.returncode == 0 and "decided" not in shown.stderr, shown.stderr
    cycle = next(c for c in json.loads(shown.stdout)["cycles"] if c["cycle"] == "2026-h1")
    typical = next(f for f in cycle["figures"] if f["id"] == "typical-days-to-decision")
    assert typical["cells"][0]["value"] == 42  # mean of the middle five of 40..45 days


# --- item 10: a repository with site settings is a handbook; packets.yaml beside them is an error


@pytest.mark.parametrize(
    "command", [("validate", "--no-cache"), ("stats",), ("build", "--site-dir", "site"), ("readiness", "PACKET")]
)
def test_item10_a_stray_packets_yaml_in_a_handbook_is_an_error_naming_both_files(
    repo: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    other = tmp_path / "other-handbook"
    from conftest import copy_content

    copy_content(other)
    (repo / "packets.yaml").write_text(f"handbook: {other}\n")
    packet = next(p for p in (repo / "packets").rglob("*.yaml") if ".reviews" not in str(p))
    result = invoke(*(str(packet) if a == "PACKET" else a for a in command), cwd=repo)
    assert_one_line_error(result, "packets.yaml", "site_config/handbook.yaml")
    assert not (repo / "site").exists()


def test_item10_a_linked_packets_yaml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.yaml").write_text("handbook: ../secret\n")
    packets = tmp_path / "packets-repo"
    packets.mkdir()
    (packets / "packets.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    result = invoke("validate", cwd=packets)
    assert_one_line_error(result, "packets.yaml", "symbolic link")


# --- item 1: every folder the tool writes to or runs from is private; git on a clone is hardened ---


@pytest.fixture(scope="module")
def url_handbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A handbook in git, named by a file:// URL from packets repositories."""
    import subprocess

    from conftest import copy_content

    repo = copy_content(tmp_path_factory.mktemp("urlhb") / "handbook")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "handbook"],
        cwd=repo,
        check=True,
    )
    return repo


def packets_repo_for(handbook: Path, where: Path) -> Path:
    where.mkdir(parents=True)
    (where / "packets.yaml").write_text(f"handbook: {handbook.as_uri()}\n")
    (where / "packets").mkdir()
    return where


def clone_key(url: str, ref: str | None = None) -> str:
    import hashlib

    return hashlib.sha256(f"{url}\n{ref or ''}".encode()).hexdigest()[:20]


def plant_clone(handbook: Path, cache: Path, marker: Path) -> Path:
    """A clone of the handbook in CACHE whose .git/config runs a program (fsmonitor) and whose hooks
    would run on checkout, as an attacker with write access to the folder would leave it."""
    import subprocess

    target = cache / "handbooks" / clone_key(handbook.as_uri())
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", handbook.as_uri(), str(target)], check=True)
    subprocess.run(["git", "config", "core.fsmonitor", f"touch {marker}-fsmonitor; false"], cwd=target, check=True)
    hook = target / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}-hook\n")
    hook.chmod(0o755)
    return target


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to make a folder owned by another user")
def test_item1_a_cache_folder_owned_by_another_user_is_refused_for_clones(url_handbook: Path, tmp_path: Path) -> None:
    cache = tmp_path / "foreign-cache"
    cache.mkdir()
    marker = tmp_path / "ran"
    plant_clone(url_handbook, cache, marker)
    for path in [cache, *cache.rglob("*")]:
        os.lchown(path, 4242, 4242)
    packets = packets_repo_for(url_handbook, tmp_path / "packets")
    result = invoke("validate", cwd=packets, env={"HANDBOOK_CACHE_DIR": str(cache)})
    assert_one_line_error(result, str(cache), "belongs to another user")
    assert "origin/HEAD" not in result.stderr
    assert not list(tmp_path.glob("ran-*"))


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o1777])
def test_item1_a_cache_folder_others_can_write_to_is_refused_for_clones(
    url_handbook: Path, tmp_path: Path, mode: int
) -> None:
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    os.chmod(cache, mode)
    packets = packets_repo_for(url_handbook, tmp_path / "packets")
    result = invoke("validate", cwd=packets, env={"HANDBOOK_CACHE_DIR": str(cache)})
    assert_one_line_error(result, str(cache), "can be written by other users")
    assert not (cache / "handbooks").exists()


def test_item1_git_on_a_clone_runs_no_fsmonitor_and_no_hook(url_handbook: Path, tmp_path: Path) -> None:
    """Even a clone in a private folder never runs its config's fsmonitor or its hooks."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    marker = tmp_path / "ran"
    plant_clone(url_handbook, cache, marker)
    packets = packets_repo_for(url_handbook, tmp_path / "packets")
    result = invoke("validate", cwd=packets, env={"HANDBOOK_CACHE_DIR": str(cache)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list(tmp_path.glob("ran-*"))


def test_item1_every_git_command_is_hardened(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import subprocess

    from generator.git import handbook_clone as packets_repo
    from generator.git import history

    seen: list[tuple[list[str], dict[str, str]]] = []
    real = subprocess.run

    def spy(args: Any, *rest: Any, **kwargs: Any) -> subprocess.CompletedProcess[Any]:  # run's own signature
        if args and args[0] == "git":
            seen.append((list(args), kwargs.get("env") or {}))
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    history.is_repository(tmp_path)
    packets_repo._git("--version")
    assert seen
    for args, env in seen:
        for option in ("core.fsmonitor=", "core.hooksPath=/dev/null", "protocol.allow=never"):
            assert option in args, args
        assert env.get("GIT_CONFIG_NOSYSTEM") == "1" and "GIT_DIR" not in env


# --- item 6: parallel commands take turns on a cached clone -----------------------------------


def test_item6_eight_parallel_checkouts_of_one_url_all_succeed_cold_and_warm(
    url_handbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from generator.git import handbook_clone as packets_repo

    cache = tmp_path / "cache"
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(cache))
    manifest = packets_repo.Manifest(url_handbook.as_uri(), None, "packets.yaml")

    def checkout(_: int) -> Path | str:
        try:
            return packets_repo.handbook_checkout(tmp_path, manifest)
        except packets_repo.PacketsRepoError as problem:
            return problem.format_message()

    for run in ("cold", "warm"):
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(checkout, range(8)))
        assert all(isinstance(r, Path) and (r / "site_config" / "handbook.yaml").is_file() for r in results), (
            run,
            results,
        )


def test_item6_git_errors_are_one_line_with_no_escaped_newlines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(tmp_path / "cache"))
    packets = tmp_path / "packets"
    packets.mkdir()
    (packets / "packets.yaml").write_text(f"handbook: {(tmp_path / 'missing').as_uri()}\n")
    result = invoke("validate", cwd=packets, env={"HANDBOOK_CACHE_DIR": str(tmp_path / "cache")})
    assert_one_line_error(result, "cannot fetch the handbook")
    assert "\\n" not in result.stderr


# --- item 5: CODEOWNERS where GitLab reads it; CI files always protected ----------------------


def test_item5_codeowners_is_written_where_gitlab_reads_it_and_protects_ci_files(repo: Path) -> None:
    from conftest import edit

    for path in (".gitlab-ci.yml", ".gitlab/", "packets.yaml"):
        text = (repo / "site_config/handbook.yaml").read_text()
        if f"{{path: {path}," in text:
            edit(
                repo / "site_config/handbook.yaml",
                f'    - {{path: {path}, owners: ["@northwind/handbook-maintainers"]}}\n',
                "",
            )
    result = invoke("codeowners", cwd=repo)
    assert result.returncode == 0, result.stderr
    github, gitlab = (repo / ".github/CODEOWNERS").read_text(), (repo / ".gitlab/CODEOWNERS").read_text()
    assert github == gitlab
    owners = {line.split()[0]: line.split()[1:] for line in gitlab.splitlines() if line and not line.startswith("#")}
    for path in ("/.gitlab-ci.yml", "/.gitlab/", "/.github/", "/packets.yaml", "/mkdocs.yml"):
        assert owners[path] == ["@northwind/handbook-maintainers"], path
    (repo / ".gitlab/CODEOWNERS").unlink()
    stale = invoke("codeowners", "--check", cwd=repo)
    assert_one_line_error(stale, ".gitlab/CODEOWNERS", "out of date")


def test_item5_the_repository_protects_gitlab_ci_and_packets_yaml() -> None:
    from conftest import REPO

    for name in (".github/CODEOWNERS", ".gitlab/CODEOWNERS"):
        text = (REPO / name).read_text()
        for path in ("/.gitlab-ci.yml", "/.gitlab/", "/packets.yaml"):
            assert f"\n{path} " in text, (name, path)
    readme = (REPO / "README.md").read_text()
    assert "Reporter" in readme and "`api`" in readme and ".gitlab/CODEOWNERS" in readme


# --- item 9: generated CI pins actions by SHA; packets.yaml and CI belong to the committee -----


def _generated_workflows(tmp_path: Path) -> list[Path]:
    from conftest import REPO

    assert invoke("init", tmp_path / "hb", "--name", "Acme", cwd=tmp_path).returncode == 0
    made = invoke("init", "packets", tmp_path / "pk", "--handbook", REPO, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    return sorted([*(tmp_path / "hb").rglob("*.yml"), *(tmp_path / "pk").rglob("*.yml")])


def test_item9_generated_workflows_pin_actions_by_sha_and_keep_no_token_or_expression_in_shell(tmp_path: Path) -> None:
    import re

    import yaml

    workflows = [p for p in _generated_workflows(tmp_path) if ".github/workflows" in p.as_posix()]
    assert {"pull-request.yml", "publish.yml", "packets.yml"} <= {p.name for p in workflows}
    for path in workflows:
        text = path.read_text()
        for line in (line for line in text.splitlines() if re.search(r"\buses:", line)):
            assert re.search(r"@[0-9a-f]{40} +# v[0-9]+(\.[0-9]+)*\s*$", line), (path.name, line)
        for job in yaml.safe_load(text)["jobs"].values():
            for step in job.get("steps", ()):
                assert "${{" not in step.get("run", ""), (path.name, step)
                if "actions/checkout@" in step.get("uses", ""):
                    assert step.get("with", {}).get("persist-credentials") is False, path.name


def test_item9_init_packets_writes_codeowners_protecting_packets_yaml_and_ci(tmp_path: Path) -> None:
    from conftest import REPO

    _generated_workflows(tmp_path)
    for name in (".github/CODEOWNERS", ".gitlab/CODEOWNERS"):
        lines = [
            line.split()
            for line in (tmp_path / "pk" / name).read_text().splitlines()
            if line and not line.startswith("#")
        ]
        owners = {line[0]: line[1:] for line in lines}
        for path in ("/packets.yaml", "/.github/", "/.gitlab-ci.yml", "/.gitlab/"):
            assert owners[path] == ["@northwind/promotion-committee"], (name, path)
    explicit = invoke(
        "init",
        "packets",
        tmp_path / "pk2",
        "--handbook",
        "https://git.example.com/hb.git",
        "--owner",
        "@acme/committee",
        cwd=tmp_path,
    )
    assert explicit.returncode == 0, explicit.stderr
    assert "/packets.yaml      @acme/committee" in (tmp_path / "pk2/.github/CODEOWNERS").read_text()
    missing = invoke("init", "packets", tmp_path / "pk3", "--handbook", "https://git.example.com/hb.git", cwd=tmp_path)
    assert_one_line_error(missing, "--owner")
    assert not (tmp_path / "pk3").exists()
    hostile = invoke(
        "init", "packets", tmp_path / "pk4", "--handbook", str(REPO), "--owner", "@a\n* @mallory", cwd=tmp_path
    )
    assert_one_line_error(hostile, "--owner")


# --- item 7: a published group is recognised by its packets, not by its cycle's id ------------


def test_item7_renaming_a_cycle_never_publishes_its_group_twice(moved_packets: Path, tmp_path: Path) -> None:
    import json
    import shutil

    from test_process_health import commit, packet

    out = tmp_path / "process-health.json"
    first = invoke("stats", "--export", out, cwd=moved_packets)
    assert first.returncode == 0 and "1 newly closed cycle(s) added (2026-h1)" in first.stdout, first.stderr
    before = json.loads(out.read_text())["cycles"]
    assert len(before) == 1 and len(before[0]["members"]) == 5  # k hashes, whatever the group's size
    (moved_packets / "packets/2026-h1/late.yaml").write_text(packet("late", "2026-h1", "promoted", "2026-06-30"))
    for path in [moved_packets / "site_config/handbook.yaml", *(moved_packets / "packets").rglob("*.yaml")]:
        path.write_text(path.read_text().replace("2026-h1", "2026-1"))
    shutil.move(moved_packets / "packets/2026-h1", moved_packets / "packets/2026-1")
    commit(moved_packets, "late packet; cycle renamed", "2026-11-27")
    again = invoke("stats", "--export", out, cwd=moved_packets)
    assert again.returncode == 0 and "0 newly closed cycle(s) added" in again.stdout, again.stdout + again.stderr
    assert json.loads(out.read_text())["cycles"] == before


def test_item7_a_different_group_under_a_reused_id_and_a_new_group_are_told_apart() -> None:
    from generator.compute.aggregates import Aggregates, CycleAggregates, member_keys, merged

    key = b"secret"
    people = [f"person {i}" for i in range(12)]
    old = CycleAggregates("2026-h1", "H1", "2026-06-12", "published", 6, (), member_keys(people[:6], key)[:5])
    renamed = CycleAggregates("2026-1", "H1", "2026-06-12", "published", 7, (), member_keys(people[:7], key))
    other = CycleAggregates("2026-h2", "H2", "2026-12-11", "published", 6, (), member_keys(people[6:], key))
    result, added = merged(Aggregates(5, 1, (old,)), Aggregates(5, 1, (renamed, other)))
    assert added == ("2026-h2",) and result.cycles == (old, other)
    assert member_keys(people, b"") == ()  # no secret, no hashes anyone could test names against


# --- items 12 and 13, class: templates are files the tool reads too -------------------------


@pytest.mark.parametrize("plant", ["fifo", "link-out", "linked-folder"])
def test_item12_13_a_report_template_that_is_a_fifo_or_a_link_is_a_one_line_error(
    repo: Path, tmp_path: Path, plant: str
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("ghp_leakedtoken {{ 1 }}\n")
    folder = repo / "site_config" / "templates" / "reports"
    if plant == "linked-folder":
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "elsewhere" / "readiness.txt.j2").symlink_to(secret)
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.symlink_to(tmp_path / "elsewhere")
    else:
        folder.mkdir(parents=True)
        target = folder / "readiness.txt.j2"
        os.mkfifo(target) if plant == "fifo" else target.symlink_to(secret)
    packet = next(p for p in (repo / "packets").rglob("*.yaml") if ".reviews" not in str(p))
    result = invoke("readiness", packet, cwd=repo)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    assert "readiness.txt.j2" in result.stderr and "ghp_" not in result.stdout + result.stderr


def test_item4_12_history_in_the_first_shape_is_read_by_the_one_loader(tmp_path: Path) -> None:
    from generator.load.legacy import upgrade_tree

    (tmp_path / "levels").mkdir()
    (tmp_path / "levels" / "ic1.yaml").write_text("id: ic1\nrank: " + "9" * 5000 + "\n")
    (tmp_path / "rubrics" / "dimensions").mkdir(parents=True)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    (tmp_path / "rubrics" / "dimensions" / "d.yaml").write_text(bomb)
    upgrade_tree(tmp_path)  # neither a ValueError nor a billion laughs


def test_item4_12_team_event_files_bound_numbers_and_refuse_fifos(tmp_path: Path) -> None:
    from generator.load.events import read_events

    events = tmp_path / "deployments.jsonl"
    events.write_text('{"n": ' + "9" * 5000 + '}\n{"n": NaN}\n{"n": 1e400}\n{"n": 3}\n')
    found = read_events(events, "teams/t/deployments.jsonl")
    assert [p.code for p in found.problems] == ["number-out-of-range"] * 3 and len(found.records) == 1
    pipe = tmp_path / "incidents.jsonl"
    os.mkfifo(pipe)
    assert [p.code for p in read_events(pipe, "teams/t/incidents.jsonl").problems] == ["unreadable"]
