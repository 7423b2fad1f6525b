"""CODEOWNERS: no owner or path can add a line of its own, and code paths stay with maintainers."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, edit, invoke

from generator.actions.codeowners import OWNER_PATTERN, PATH_PATTERN, CodeownersError, render_codeowners
from generator.check.schema_check import fast_validator_for, validator_for
from generator.model.handbook import checked
from generator.workspace.workspace import validate_repository

TODAY = date(2026, 11, 28)
DELIVERY = "rubrics/dimensions/delivery.yaml"
LEAD_TIME = "rubrics/metrics/change-lead-time.yaml"
SETTINGS = "site_config/handbook.yaml"

# Values that would each write an extra rule, a second owner, a comment or a broken line.
HOSTILE_OWNERS = [
    "x@y.example\n* @mallory",
    "@northwind/team\n/packets/ @mallory",
    "@northwind/team\n",
    "@a\r\n* @m",
    "@a\r* @m",
    "a@b.example\u2028* @m",
    "a@b.example\u0085* @m",
    "@a @mallory",
    "@a\t@mallory",
    "@a # comment",
    "@a\x1b[2K",
    "@a\u200b",
    "* @mallory",
    "mallory",
    "@",
    "@/team",
    "a@b",
]
GOOD_OWNERS = ["@octocat", "@northwind/handbook-maintainers", "@org/team_name.x", "first.last+tag@mail.example.org"]


def yaml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a YAML double-quoted scalar


@pytest.mark.parametrize("value", HOSTILE_OWNERS)
@pytest.mark.parametrize("file", [DELIVERY, LEAD_TIME])
def test_a_contact_that_is_not_one_owner_is_a_validation_error_and_writes_nothing(
    repo: Path, file: str, value: str
) -> None:
    (repo / ".github").mkdir()
    (repo / ".github/CODEOWNERS").write_text("# before\n")
    contact = next(line for line in (repo / file).read_text().splitlines() if "contact:" in line)
    edit(repo / file, contact, f"  contact: {yaml_string(value)}")
    result = invoke("codeowners", cwd=repo)
    assert result.returncode == 1, result.stdout
    assert f"{file}:" in result.stderr and "Traceback" not in result.stderr
    assert (repo / ".github/CODEOWNERS").read_text() == "# before\n"
    check = invoke("codeowners", "--check", cwd=repo)
    assert check.returncode == 1


@pytest.mark.parametrize("value", HOSTILE_OWNERS)
@pytest.mark.parametrize("field", ["default", "packets"])
def test_settings_owners_must_be_one_owner_each(repo: Path, field: str, value: str) -> None:
    old = {
        "default": 'default: ["@northwind/handbook-maintainers"]',
        "packets": 'packets: ["@northwind/promotion-committee"]',
    }[field]
    edit(repo / SETTINGS, old, f"{field}: [{yaml_string(value)}]")
    report = validate_repository(repo, today=TODAY)
    assert any(d.file == SETTINGS for d in report.errors), value


@pytest.mark.parametrize("value", HOSTILE_OWNERS + GOOD_OWNERS)
def test_both_schema_validators_agree_on_owners(value: str) -> None:
    import yaml

    data = yaml.safe_load((REPO / SETTINGS).read_text())
    data["codeowners"]["default"] = [value]
    expected = value in GOOD_OWNERS
    assert validator_for("settings").is_valid(data) is expected
    assert fast_validator_for("settings").is_valid(data) is expected


@pytest.mark.parametrize("value", GOOD_OWNERS)
def test_real_owners_are_accepted(repo: Path, value: str) -> None:
    edit(repo / DELIVERY, "contact: eng-leadership@northwind.example", f"contact: {yaml_string(value)}")
    assert not validate_repository(repo, today=TODAY).errors


def test_every_owner_field_in_the_schemas_uses_the_generators_pattern() -> None:
    def owner_patterns(node: object, key: str = "") -> Iterator[str | None]:
        if isinstance(node, dict):
            if key in ("contact", "owner") and node.get("type") == "string":
                yield node.get("pattern")
            for k, v in node.items():
                yield from owner_patterns(v, k)
        elif isinstance(node, list):
            for v in node:
                yield from owner_patterns(v, key)

    found: dict[str, list[str | None]] = {}
    for path in sorted((REPO / "generator/check/schemas").glob("*.json")):
        found[path.name] = list(owner_patterns(json.loads(path.read_text())))
    assert found["settings.schema.json"] == [OWNER_PATTERN]
    assert found["dimension.schema.json"] == [OWNER_PATTERN]
    assert found["metric.schema.json"] == [OWNER_PATTERN]
    settings = json.loads((REPO / "generator/check/schemas/settings.schema.json").read_text())
    assert settings["$defs"]["codeowners_path"]["pattern"] == PATH_PATTERN


@pytest.mark.parametrize("value", HOSTILE_OWNERS)
def test_the_generator_refuses_a_bad_owner_even_when_validation_is_bypassed(value: str) -> None:
    handbook = checked(validate_repository(REPO, today=TODAY).handbook)
    dimension = handbook.dimensions[0]
    broken = dataclasses.replace(dimension, owner=dataclasses.replace(dimension.owner, contact=value))
    hostile = dataclasses.replace(handbook, dimensions=(broken, *handbook.dimensions[1:]))
    with pytest.raises(CodeownersError, match=dimension.file):
        render_codeowners(hostile)
    settings = dataclasses.replace(handbook.settings, protected_paths=(("generator/", (value,)),))
    with pytest.raises(CodeownersError, match="codeowners.protected"):
        render_codeowners(dataclasses.replace(handbook, settings=settings))


@pytest.mark.parametrize("path", ["a b/", "docs/\n* @mallory", "!generator/", "#x", "gen[er]ator/", "a\\ b", ""])
def test_protected_paths_are_one_codeowners_path(repo: Path, path: str) -> None:
    handbook = checked(validate_repository(REPO, today=TODAY).handbook)
    settings = dataclasses.replace(handbook.settings, protected_paths=((path, ("@northwind/x",)),))
    with pytest.raises(CodeownersError):
        render_codeowners(dataclasses.replace(handbook, settings=settings))
    edit(repo / SETTINGS, "    - {path: mkdocs.yml,", f"    - {{path: {yaml_string(path)},")
    assert any(d.file == SETTINGS for d in validate_repository(repo, today=TODAY).errors), path


def test_protected_paths_come_last_anchored_and_owned_by_maintainers(repo: Path) -> None:
    edit(
        repo / SETTINGS,
        '    - {path: generator/, owners: ["@northwind/handbook-maintainers"]}',
        '    - {path: /generator/, owners: ["@northwind/core", "@northwind/core", "lead@northwind.example"]}',
    )
    assert invoke("codeowners", cwd=repo).returncode == 0
    lines = [
        line.split()
        for line in (repo / ".github/CODEOWNERS").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    paths = [line[0] for line in lines]
    last_item = max(i for i, p in enumerate(paths) if p.startswith("/rubrics/"))
    for code in ["/.github/", "/mkdocs.yml", "/site_config/templates/", "/generator/"]:
        assert paths.index(code) > last_item, code
    assert dict((line[0], line[1:]) for line in lines)["/generator/"] == ["@northwind/core", "lead@northwind.example"]
    assert dict((line[0], line[1:]) for line in lines)["/mkdocs.yml"] == ["@northwind/handbook-maintainers"]


def test_the_repository_protects_its_code_paths() -> None:
    text = (REPO / ".github/CODEOWNERS").read_text()
    for code in ["/.github/", "/mkdocs.yml", "/site_config/templates/", "/generator/"]:
        assert f"\n{code} " in text
    assert "code" in (REPO / "README.md").read_text().split("## Trust", 1)[1].split("\n## ", 1)[0].lower()
