"""The architecture: one workspace wires load -> check -> model; one error family; typed model."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
import pytest
from conftest import REPO, edit, invoke

from generator.check import rules, validate
from generator.check.validate import check, load
from generator.model import errors
from generator.model.handbook import CheckedHandbook
from generator.workspace import workspace
from generator.workspace.workspace import Workspace

TODAY = date(2026, 11, 28)


def test_workspace_loads_and_checks_once(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"load": 0, "check": 0}

    def counting_load(*args: Any, **kwargs: Any) -> object:  # load's own signature
        calls["load"] += 1
        return load(*args, **kwargs)

    def counting_check(*args: Any, **kwargs: Any) -> object:  # check's own signature
        calls["check"] += 1
        return check(*args, **kwargs)

    monkeypatch.setattr(workspace, "load", counting_load)
    monkeypatch.setattr(workspace, "check", counting_check)
    space = Workspace(repo, TODAY)
    for _ in range(3):
        assert space.report is space.report
        assert space.handbook is space.handbook
        space.explained_report
        space.packet(space.handbook.packets[0].file)
    assert calls == {"load": 1, "check": 1}
    fresh = space.fresh()
    fresh.report
    assert calls == {"load": 2, "check": 2}


def test_checked_handbook_has_settings(repo: Path) -> None:
    hb = Workspace(repo, TODAY).handbook
    assert isinstance(hb, CheckedHandbook)
    assert hb.settings is not None


@pytest.mark.parametrize(
    "breakage",
    [
        ("site_config/handbook.yaml", "criteria_version:", "criteria_version_typo:"),  # schema error in settings
        ("levels/ic2.yaml", "id: ic2", "id: [ic2"),  # YAML syntax error
        ("rubrics/dimensions/delivery.yaml", "id: delivery", "id: not-this-file"),  # rule error
    ],
)
def test_invalid_handbook_raises_validation_failed(repo: Path, breakage: tuple[str, ...]) -> None:
    file, old, new = breakage
    edit(repo / file, old, new)
    space = Workspace(repo, TODAY)
    with pytest.raises(errors.ValidationFailed) as raised:
        space.handbook
    assert space.report.errors and "error" in raised.value.report_text
    assert isinstance(raised.value, click.ClickException) and raised.value.exit_code == 1


def test_load_runs_no_rule_and_reads_no_clock(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Old revisions (history, pinned versions) are loaded with load() alone."""

    def no_rules(*args: object, **kwargs: object) -> None:
        raise AssertionError("a rule ran during load()")

    monkeypatch.setattr(rules, "check_all", no_rules)
    monkeypatch.setattr(validate, "date", None)  # any date.today() in load() would fail
    loaded = load(repo)
    assert loaded.handbook.settings is not None and loaded.files_checked > 0


def test_history_loads_revisions_without_rules(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.git import history

    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "x"], cwd=repo, check=True)

    def no_rules(*args: object, **kwargs: object) -> None:
        raise AssertionError("a rule ran while loading a revision")

    monkeypatch.setattr(rules, "check_all", no_rules)
    assert history.load_revision(repo, "HEAD").settings is not None


def _error_classes() -> list[type[Exception]]:
    import generator.actions.ci_comment
    import generator.actions.codeowners
    import generator.actions.release
    import generator.actions.starter
    import generator.check.reviews
    import generator.git.handbook_clone
    import generator.render.config
    import generator.render.plan
    import generator.report.commands
    import generator.site.site_folder

    return [
        generator.actions.ci_comment.CommentError,
        generator.actions.codeowners.CodeownersError,
        generator.git.handbook_clone.PacketsRepoError,
        generator.actions.release.ReleaseError,
        generator.render.config.ConfigError,
        generator.render.plan.PlanError,
        generator.report.commands.ReportTemplateError,
        generator.check.reviews.ReviewError,
        errors.ScaffoldError,
        generator.site.site_folder.SiteFolderError,
        generator.actions.starter.InitError,
        errors.GitError,
        errors.BuildError,
        errors.ValidationFailed,
    ]


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda c: c.__name__)
def test_every_program_error_is_one_family(cls: type[Exception]) -> None:
    assert issubclass(cls, errors.HandbookError) and issubclass(cls, click.ClickException)


def test_no_sys_exit_outside_the_entry_point() -> None:
    offenders = []
    for path in (REPO / "generator").rglob("*.py"):
        if path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "exit" and getattr(node.value, "id", "") == "sys":
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not offenders


@pytest.mark.parametrize("args", [("governance",), ("lint",), ("codeowners", "--check"), ("stats",)])
def test_commands_that_need_a_valid_handbook_print_the_report_then_fail(repo: Path, args: tuple[str, ...]) -> None:
    edit(repo / "levels/ic2.yaml", "id: ic2", "id: [ic2")
    result = invoke(*args, cwd=repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "levels/ic2.yaml:" in result.stderr and "error: validation failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_mypy_reports_no_error() -> None:
    """mypy --strict over what pyproject.toml names: the package, the tests and the benchmarks."""
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "alias,schema,pointer",
    [
        ("MetricStatus", "metric", ("properties", "governance", "properties", "status")),
        ("Cadence", "metric", ("properties", "governance", "properties", "review_cadence")),
        ("DecisionStatus", "packet", ("properties", "decision", "properties", "status")),
        ("AppealStatus", "packet", ("properties", "appeal", "properties", "status")),
        ("Visibility", "packet", ("properties", "visibility")),
    ],
)
def test_status_literals_match_the_schemas(alias: str, schema: str, pointer: tuple[str, ...]) -> None:
    import json
    import typing

    from generator.model import handbook as model

    node = json.loads((REPO / "generator" / "check" / "schemas" / f"{schema}.schema.json").read_text("utf-8"))
    for part in pointer:
        node = node[part]
    assert set(typing.get_args(getattr(model, alias))) == set(node["enum"])


def test_model_dataclasses_are_keyword_only() -> None:
    import dataclasses

    from generator.model import handbook as model

    classes = [
        c
        for c in vars(model).values()
        if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == model.__name__
    ]
    assert len(classes) > 30
    positional = [c.__name__ for c in classes if any(not f.kw_only for f in dataclasses.fields(c))]
    assert not positional


@pytest.mark.parametrize(
    "value,digits,shown",
    [
        (10, 0, "10"),
        (100, 0, "100"),
        (10.0, 0, "10"),
        (1200, 2, "1200"),
        (10, 2, "10"),
        (2.50, 2, "2.5"),
        (3.14159, 2, "3.14"),
        (0.0, 1, "0"),
        (-20, 0, "-20"),
        (None, 2, "–"),
        (0.105, 1, "0.1"),
    ],
)
def test_num_keeps_the_zeros_of_whole_numbers(value: float | None, digits: int, shown: str) -> None:
    from generator.render.pages import num

    assert num(value, digits) == shown


@pytest.mark.parametrize("build", ["pages", "reports"])
def test_pages_and_reports_share_one_num_filter(build: str, tmp_path: Path) -> None:
    from generator.render.pages import environment, num
    from generator.report.commands import report_environment

    env = environment(tmp_path, frozenset({"https"})) if build == "pages" else report_environment(tmp_path)
    assert env.filters["num"] is num
    assert env.from_string("{{ 10 | num(0) }} {{ 0.5 | pct }}").render() == "10 50%"


def test_every_rule_is_registered_with_one_signature() -> None:
    import inspect

    from generator.check import rules

    names = {r.__name__ for r in rules.RULES}
    assert {"empty_handbook", "review_dates", "packet_dates", "review_rules", "unique_ids"} <= names
    for rule in rules.RULES:
        assert list(inspect.signature(rule).parameters) == ["hb", "today"], rule.__name__


@pytest.mark.parametrize("broken", ["{{ name | no_such_filter }}", "{% if %}", "{{ name.missing.deeper }}"])
def test_init_template_errors_name_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str) -> None:
    import shutil

    from generator.actions import starter
    from generator.render.pages import PACKAGE_TEMPLATES

    shipped = tmp_path / "templates"
    shutil.copytree(PACKAGE_TEMPLATES / "init", shipped / "init")
    first = starter.FILES[0][1]
    (shipped / "init" / first).write_text("line one\n" + broken + "\n", "utf-8")
    monkeypatch.setattr(starter, "PACKAGE_TEMPLATES", shipped)
    with pytest.raises(errors.TemplateError) as raised:
        starter.plan_init("Acme", TODAY)
    assert str(raised.value).startswith(f"{first}:2: template error") or ":2: template error" in str(raised.value)


def test_readme_map_names_only_modules_that_exist() -> None:
    import re

    text = (REPO / "README.md").read_text("utf-8")
    section = text[text.index("## Where things live") : text.index("## Starting a handbook")]
    named = set(re.findall(r"`([a-z_/]+\.py)`", section))
    assert {"workspace/workspace.py", "model/errors.py", "report/validation.py"} <= named
    assert not [n for n in named if not (REPO / "generator" / n).is_file()]
