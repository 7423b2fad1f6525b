"""JSON Schema validation of loaded documents, with errors a non-programmer can act on."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..load.loader import Document
from ..model.diagnostics import Diagnostic, Pointer, error
from ..model.safe_text import describe

if TYPE_CHECKING:  # the pure-Python validator is imported only to explain a failure (a valid file never needs it)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

try:  # a compiled validator answers "valid?" ~500× faster; the pure-Python one explains failures
    import jsonschema_rs
except ImportError:  # pragma: no cover - the wheel exists for the usual platforms
    jsonschema_rs = None  # type: ignore[assignment]

KINDS = ("settings", "composite", "dimension", "metric", "level", "packet", "review", "assignments")
_ID_HINT = "use lowercase letters, digits and single hyphens, e.g. 'rel-ic4-oncall'"


def schema_text(kind: str) -> str:
    return resources.files("generator.check").joinpath(f"schemas/{kind}.schema.json").read_text("utf-8")


@cache
def validator_for(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_text(kind))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def fast_validator_for(kind: str) -> Any:
    if jsonschema_rs is None:
        return None
    return jsonschema_rs.validator_for(json.loads(schema_text(kind)), validate_formats=True)


def is_valid(data: Any, kind: str) -> bool:
    fast = fast_validator_for(kind)
    if fast is not None:
        try:
            return bool(fast.is_valid(data))
        except (ValueError, TypeError, OverflowError):
            return False  # let the full validator explain whatever the fast one could not take
    return bool(validator_for(kind).is_valid(data))


def check(document: Document, kind: str) -> list[Diagnostic]:
    """Every schema problem in one document, each positioned at its node: one message per mistake."""
    if is_valid(document.data, kind):
        return []
    found: list[Diagnostic] = []
    for failure in validator_for(kind).iter_errors(document.data):
        found.extend(_explain(document.path, failure))
    if not found:  # the two validators disagree: never let "invalid" pass in silence
        found.append(
            error(
                document.path,
                "schema-invalid",
                f"{document.path} does not match the {kind} schema "
                f"(generator/check/schemas/{kind}.schema.json); check every value against it",
            )
        )
    found = _one_per_mistake(found)
    return [document.locate(_named(d, document.data)) for d in found]


# Which message wins when one value breaks several rules (a date "2026-6-9" fails both its pattern
# and its format; an empty name fails both minLength and its "not blank" pattern).
_PRIORITY = ("type", "enum", "const", "minLength", "pattern", "format", "not", "maxLength")


def _one_per_mistake(found: list[Diagnostic]) -> list[Diagnostic]:
    found = list(dict.fromkeys(found))  # `required` repeats per missing key
    # A misspelled key is one mistake, not "missing 'impact'" plus "unknown key 'impcat'".
    missing = {(d.pointer, d.message.split("'")[1]): d for d in found if d.code == "schema-required"}
    merged: list[Diagnostic] = []
    dropped: set[Diagnostic] = set()
    for d in found:
        if d.code == "schema-additionalProperties" and "(did you mean '" in d.message:
            wanted = d.message.split("(did you mean '")[1].split("'")[0]
            twin = missing.get((d.pointer[:-1], wanted))
            if twin is not None:
                dropped.add(twin)
                d = replace(
                    d, code="schema-misspelled-key", message=f"'{d.pointer[-1]}' should be '{wanted}' (misspelled key)"
                )
        merged.append(d)
    merged = [d for d in merged if d not in dropped]
    best: dict[Pointer, Diagnostic] = {}
    keep: list[Diagnostic] = []
    for d in merged:
        rule = d.code.removeprefix("schema-")
        if d.on_key or rule not in _PRIORITY:
            keep.append(d)
        elif d.pointer not in best or _PRIORITY.index(rule) < _PRIORITY.index(
            best[d.pointer].code.removeprefix("schema-")
        ):
            best[d.pointer] = d
    return keep + list(best.values())


def _named(d: Diagnostic, data: Any) -> Diagnostic:
    """Name the list item a problem is in: "evidence 'mentoring-dani' (item 5) has no impact"."""
    where = item_name(data, d.pointer if not (d.on_key and d.code == "schema-required") else d.pointer + ("",))
    if where is None:
        return d
    if d.code == "schema-required":
        return replace(d, message=f"{where} has no {d.message.split(chr(39))[1]}")
    return replace(d, message=f"{where}: {d.message}")


_SINGULAR = {
    "evidence": "evidence",
    "metrics": "metric",
    "assessments": "assessment",
    "harm_reviews": "harm review",
    "components": "component",
    "gates": "gate",
    "anti_gaming": "anti-gaming rule",
    "tracks": "track",
    "review_cycles": "review cycle",
    "criteria": "criterion",
    "harms_found": "harm",
    "committee": "member",
}


def item_name(data: Any, pointer: Pointer) -> str | None:
    """The innermost list item of mappings above `pointer`, in words, or None."""
    best = None
    node = data
    for depth, part in enumerate(pointer[:-1]):
        if not isinstance(node, (dict, list)):
            break
        try:
            child = node[part]  # type: ignore[index]  # a key into a list: TypeError, caught
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, list) and isinstance(child, dict) and depth > 0:
            label = _SINGULAR.get(str(pointer[depth - 1]), str(pointer[depth - 1]).replace("_", " "))
            ident = child.get("id") if isinstance(child.get("id"), str) else None
            best = f"{label} '{ident}' (item {int(part) + 1})" if ident else f"{label} item {int(part) + 1}"
        node = child
    return best


def _explain(file: str, failure: ValidationError) -> Iterator[Diagnostic]:
    pointer: Pointer = tuple(failure.absolute_path)
    instance, expected, validator = failure.instance, failure.validator_value, failure.validator
    code = f"schema-{validator}"
    if validator == "required":
        for name in expected:
            if isinstance(instance, dict) and name not in instance:
                yield error(file, code, f"missing required key '{name}'", pointer, on_key=True)
    elif validator == "additionalProperties":
        allowed = sorted(failure.schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                yield error(file, code, f"unknown key '{key}'{_suggest(key, allowed)}", pointer + (key,), on_key=True)
    elif validator == "propertyNames":
        yield error(file, code, f"'{instance}' is not a valid id: {_ID_HINT}", pointer + (instance,), on_key=True)
    else:
        yield error(file, code, _message(failure), pointer)


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f"; allowed keys: {', '.join(choices)}" if choices else ""


def _message(failure: ValidationError) -> str:
    instance, expected, validator = failure.instance, failure.validator_value, failure.validator
    shown = _show(instance)
    if validator == "type":
        return f"expected {_type_words(expected)}, found {_describe(instance)}"
    if validator == "enum":
        choices = [str(c) for c in expected]
        close = difflib.get_close_matches(str(instance), choices, n=1)
        return f"{shown} is not one of: {', '.join(choices)}" + (f" (did you mean '{close[0]}'?)" if close else "")
    if validator == "const":
        return f"must be {_show(expected)}"
    if validator == "pattern":
        return _pattern_message(instance, expected)
    if validator == "format":
        return f"{shown} is not a real calendar date" if expected == "date" else f"{shown} is not a valid {expected}"
    if validator in ("minLength",):
        return "must not be empty"
    if validator == "maxLength":
        return (
            f"is {len(instance):,} characters long; the limit here is {expected:,} (shorten it, or link to a "
            "longer document)"
            if isinstance(instance, str)
            else failure.message
        )
    if validator == "not" and isinstance(expected, dict) and "pattern" in expected and isinstance(instance, str):
        return _hidden_character_message(instance, expected["pattern"])
    if validator == "minItems":
        return f"needs at least {expected} item{'s' if expected != 1 else ''}, found {len(instance)}"
    if validator == "maxItems":
        return f"allows at most {expected} items, found {len(instance)}"
    if validator == "minProperties":
        return f"needs at least {expected} entr{'ies' if expected != 1 else 'y'}"
    if validator == "uniqueItems":
        return "lists the same value more than once"
    if validator in ("minimum", "exclusiveMinimum"):
        return f"{shown} is too small: the minimum is {expected}{' (exclusive)' if validator.startswith('exclusive') else ''}"
    if validator in ("maximum", "exclusiveMaximum"):
        return f"{shown} is too large: the maximum is {expected}"
    return str(failure.message)


def _hidden_character_message(instance: str, pattern: str) -> str:
    found = re.search(pattern, instance)
    if found is None:  # pragma: no cover - the validator said it matched
        return "holds a character that is not allowed here"
    char = next((c for c in found.group() if not c.isspace() or c in "\n\t\r"), found.group()[0])
    return (
        f"holds {describe(char)} at character {instance.index(char, found.start()) + 1}: a name or title is one "
        "line of visible text, without control, bidirectional or invisible characters (zero-width joiners "
        "only between two characters)"
    )


def _pattern_message(instance: str, pattern: str) -> str:
    if pattern.startswith("^[a-z"):
        return f"'{instance}' is not a valid id: {_ID_HINT}"
    if pattern.startswith("[^\\t\\n"):  # "contains a character that is not white space"
        return "must not be blank"
    if "[0-9]{4}-[0-9]{2}-[0-9]{2}" in pattern:
        return f"'{instance}' is not a date in YYYY-MM-DD form"
    if "\\.[0-9]+\\.[0-9]+" in pattern:
        return f"'{instance}' is not a version in MAJOR.MINOR.PATCH form, e.g. '1.2.0'"
    if pattern.startswith("^https://"):
        return f"'{instance}' is not an https:// link"
    if pattern.startswith("^[A-Za-z][A-Za-z0-9+.-]*:"):
        return f"'{instance}' is not a link (scheme:address, without spaces or quotes)"
    return f"'{instance}' does not match the expected form {pattern}"


_TYPE_WORDS = {
    "string": "text",
    "object": "a mapping of keys",
    "array": "a list",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _type_words(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPE_WORDS.get(n) or str(n) for n in names)


def _describe(instance: Any) -> str:
    if instance is None:
        return "nothing (an empty value)"
    if isinstance(instance, bool):
        return f"{'true' if instance else 'false'} (true/false)"
    if isinstance(instance, (int, float)):
        return f"the number {instance}"
    if isinstance(instance, str):
        return f"the text {_show(instance)}"
    if isinstance(instance, dict):
        return "a mapping of keys"
    return "a list"


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
