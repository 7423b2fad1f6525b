"""Validation findings for CI platforms: titles in words, GitLab Code Quality and SARIF 2.1.0. Pure.

- GitLab Code Quality (a subset of the Code Climate spec): a JSON array of issues with a
  description, check name, severity, location and a fingerprint. The fingerprint must stay the
  same while the problem stays, so GitLab can tell new findings from old: it hashes the file, the
  rule, the JSON path of the value and the message, never the line number (lines move when
  someone edits above).
- SARIF 2.1.0 for code-scanning tools (GitHub code scanning and others), with the same
  fingerprint as a partial fingerprint.
"""

from __future__ import annotations

import hashlib
import json

from .. import __version__
from ..model.diagnostics import Diagnostic

# Annotation titles in words (GitHub shows them in bold above the message).
_TITLES = {
    "schema-required": "Missing key",
    "schema-additionalProperties": "Unknown key",
    "schema-misspelled-key": "Misspelled key",
    "schema-propertyNames": "Invalid id",
    "schema-type": "Wrong kind of value",
    "schema-enum": "Not one of the allowed values",
    "schema-const": "Wrong value",
    "schema-pattern": "Wrong form",
    "schema-format": "Not a real date",
    "schema-minLength": "Empty text",
    "schema-maxLength": "Text too long",
    "schema-minItems": "List too short",
    "schema-maxItems": "List too long",
    "schema-uniqueItems": "Repeated value",
    "schema-not": "Character not allowed",
    "schema-minimum": "Number too small",
    "schema-maximum": "Number too large",
    "schema-exclusiveMinimum": "Number too small",
    "schema-exclusiveMaximum": "Number too large",
    "schema-invalid": "Does not match its schema",
    "yaml-syntax": "YAML syntax error",
    "tab-indent": "Tab in indentation",
    "duplicate-key": "Key written twice",
    "comment-in-text": "Text cut short by '#'",
    "unknown-criterion": "Unknown criterion",
    "criterion-wrong-level": "Criterion above the target level",
    "unknown-level": "Unknown level",
    "unknown-cycle": "Unknown review cycle",
    "unknown-track": "Unknown track",
    "unknown-dimension": "Unknown dimension",
    "unknown-metric": "Unknown metric",
    "placeholder": "Placeholder text",
    "no-evidence": "No evidence yet",
    "evidence-cites-nothing": "Evidence cites no criterion",
    "evidence-no-link": "Evidence without a link",
    "version-behind": "Written against older criteria",
    "version-ahead": "Criteria version ahead of the handbook",
    "target-not-above": "Target level not above current",
    "wrong-track": "Level on another track",
    "evidence-in-future": "Evidence dated in the future",
    "review-overdue": "Review overdue",
    "link-scheme": "Link scheme not allowed",
}
_GITLAB_SEVERITY = {"error": "major", "warning": "minor"}


def title(code: str) -> str:
    """A rule's name in words: from the table, else the code spelt out ('duplicate-id' -> 'Duplicate id')."""
    if code in _TITLES:
        return _TITLES[code]
    words = code.removeprefix("schema-").replace("-", " ").replace("_", " ")
    return words[:1].upper() + words[1:]


def fingerprint(d: Diagnostic) -> str:
    """Stable while the problem stays: file, rule, JSON path and message, not the line number."""
    return hashlib.sha256("\0".join((d.file, d.code, d.json_path, d.message)).encode("utf-8")).hexdigest()


def gitlab_code_quality(diagnostics: tuple[Diagnostic, ...]) -> str:
    issues = []
    seen: set[str] = set()
    for d in diagnostics:
        print_ = fingerprint(d)
        if print_ in seen:
            continue
        seen.add(print_)
        issues.append(
            {
                "type": "issue",
                "check_name": d.code,
                "description": f"{title(d.code)}: {d.message}",
                "categories": ["Bug Risk" if d.severity == "error" else "Style"],
                "severity": _GITLAB_SEVERITY[d.severity],
                "fingerprint": print_,
                "location": {"path": d.file, "lines": {"begin": d.line}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False)


SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def sarif(diagnostics: tuple[Diagnostic, ...]) -> str:
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "handbook",
                        "version": __version__,
                        "rules": [
                            {
                                "id": code,
                                "name": title(code).title().replace(" ", "").replace("'", ""),
                                "shortDescription": {"text": title(code)},
                            }
                            for code in codes
                        ],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [
                    {
                        "ruleId": d.code,
                        "ruleIndex": index[d.code],
                        "level": d.severity,
                        "message": {"text": d.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": _uri(d.file), "uriBaseId": "%SRCROOT%"},
                                    "region": {"startLine": max(d.line, 1), "startColumn": max(d.column, 1)},
                                }
                            }
                        ],
                        "partialFingerprints": {"handbookFinding/v1": fingerprint(d)},
                    }
                    for d in diagnostics
                ],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)


def _uri(path: str) -> str:
    """A relative URI reference for a repository path (spaces and other characters escaped)."""
    from urllib.parse import quote

    return quote(path, safe="/-._~")
