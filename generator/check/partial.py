"""The well-formed part of a document that failed its schema, so cross-reference rules still run on it.

A packet with a misspelled key in one piece of evidence should still have its other evidence
checked against the criteria: one push, every problem. `salvage` returns a schema-valid copy of
the document in which every failing value is repaired in the most local way (an unknown key
removed, an optional value dropped, a required one replaced by a neutral stand-in), together with
the JSON pointers it touched. Rules then run on the copy, and any finding at or under a touched
pointer is dropped: the schema already reported that mistake, and one mistake gives one message.

Only kinds whose rules look at one file at a time are salvaged (packets): a stand-in value in a
rubric could otherwise collide with another file's and raise a problem there. Pure.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from ..model.diagnostics import Diagnostic, Pointer
from .schema_check import is_valid, schema_text

if TYPE_CHECKING:  # imported where a broken file needs it: a valid one never does
    from jsonschema import Draft202012Validator

SALVAGEABLE = frozenset({"packet", "settings"})
# Settings are read by every rule, so only their review process is repaired (a broken committee
# key or reviewer entry): one mistake there gives one message, not one in every file.
_ONLY_UNDER = {"settings": ("review_process",)}
_MAX_PASSES = 12
# Stand-ins tried for text values, in order: the first the node's schema accepts is used.
_TEXT_STAND_INS = ("-", "x", "1.0.0", "2000-01-01", "https://example.invalid/")
_PREFERRED_ENUM = ("private", "draft", "other")  # never let a stand-in publish a packet
# Objects shown to readers as written and judged by no rule but their own checks (an evidence item's
# team_signal): one broken value drops the whole object, so no stand-in ("x") is ever shown as its
# content. `None` stands for any list index.
_WHOLE_OR_NOTHING = {"packet": (("evidence", None, "team_signal"),)}


@dataclass(frozen=True)
class Salvaged:
    data: Any
    touched: tuple[Pointer, ...]

    def hides(self, diagnostic: Diagnostic) -> bool:
        """True when a rule's finding is about a value the schema check already reported."""
        return any(diagnostic.pointer[: len(p)] == p for p in self.touched)


@cache
def _root_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text(kind))
    return schema


@cache
def _validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_root_schema(kind), format_checker=Draft202012Validator.FORMAT_CHECKER)


def salvage(data: Any, kind: str) -> Salvaged | None:
    """A schema-valid copy of `data` and the pointers repaired, or None when no local repair works."""
    if kind not in SALVAGEABLE or not isinstance(data, dict):
        return None
    root = _root_schema(kind)
    data = copy.deepcopy(data)
    touched: list[Pointer] = []
    for _ in range(_MAX_PASSES):
        # The compiled validator says "valid" in microseconds; only an invalid copy is walked for its failures.
        failures = [] if is_valid(data, kind) else list(_validator(kind).iter_errors(data))
        if not failures:
            return Salvaged(data, tuple(dict.fromkeys(_whole_or_nothing(data, kind, touched))))
        part = _ONLY_UNDER.get(kind)
        if part is not None and any(tuple(f.absolute_path)[: len(part)] != part for f in failures):
            return None
        for failure in failures:
            pointer = tuple(failure.absolute_path)
            if failure.validator == "additionalProperties" and isinstance(failure.instance, dict):
                allowed = failure.schema.get("properties", {})
                for key in [k for k in failure.instance if k not in allowed]:
                    if not _repair(data, root, pointer + (key,), touched, remove_only=True):
                        return None
            elif failure.validator == "required" and isinstance(failure.instance, dict):
                always = set(_schema_at(root, pointer).get("required", ()))
                for key in failure.validator_value:
                    if key in failure.instance:
                        continue
                    # required only under a condition (if/then): repair the object that set the condition
                    target = pointer + (key,) if key in always else pointer
                    if not _repair(data, root, target, touched):
                        return None
            elif not _repair(data, root, pointer, touched):
                return None
    return None


def _repair(
    data: Any, root: dict[str, Any], pointer: Pointer, touched: list[Pointer], remove_only: bool = False
) -> bool:
    """Repair the value at `pointer`, or the nearest ancestor that can be repaired."""
    if not _exists(data, pointer[:-1]):
        return True  # an ancestor was already removed by an earlier repair in this pass
    while pointer:
        parent = _get(data, pointer[:-1])
        key = pointer[-1]
        if isinstance(parent, dict):
            schema = _schema_at(root, pointer[:-1])
            required = key in schema.get("required", ()) and key in schema.get("properties", {})
            if remove_only or not required:
                parent.pop(key, None)
                touched.append(pointer)
                return True
            stand_in = _stand_in(root, _schema_at(root, pointer), parent.get(key))
            if stand_in is not _NONE:
                parent[key] = stand_in
                touched.append(pointer)
                return True
        elif isinstance(parent, list) and isinstance(key, int) and key < len(parent):
            stand_in = _stand_in(root, _schema_at(root, pointer), parent[key])
            if stand_in is not _NONE:
                parent[key] = stand_in  # replaced, never removed: later items keep their index
                touched.append(pointer)
                return True
        remove_only = False
        pointer = pointer[:-1]
    return False


_NONE = object()


def _exists(data: Any, pointer: Pointer) -> bool:
    for part in pointer:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return False
    return True


def _whole_or_nothing(data: Any, kind: str, touched: list[Pointer]) -> list[Pointer]:
    """Drop each whole-or-nothing object that a repair touched (see _WHOLE_OR_NOTHING)."""
    found = list(touched)
    for pattern in _WHOLE_OR_NOTHING.get(kind, ()):
        for pointer in touched:
            if len(pointer) < len(pattern) or not _matches(pointer[: len(pattern)], pattern):
                continue
            whole = pointer[: len(pattern)]
            if _exists(data, whole):
                _get(data, whole[:-1]).pop(whole[-1])
            found.append(whole)
    return found


def _matches(pointer: Pointer, pattern: tuple[str | None, ...]) -> bool:
    return all(want is None or part == want for part, want in zip(pointer, pattern, strict=True))


def _get(data: Any, pointer: Pointer) -> Any:
    for part in pointer:
        data = data[part]
    return data


def _resolve(root: dict[str, Any], schema: Any) -> dict[str, Any]:
    while isinstance(schema, dict) and "$ref" in schema and schema["$ref"].startswith("#/"):
        target: Any = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = {**{k: v for k, v in schema.items() if k != "$ref"}, **target}
    return schema if isinstance(schema, dict) else {}


def _schema_at(root: dict[str, Any], pointer: Pointer) -> dict[str, Any]:
    schema = _resolve(root, root)
    for part in pointer:
        if isinstance(part, int):
            schema = _resolve(root, schema.get("items", {}))
        elif part in schema.get("properties", {}):
            schema = _resolve(root, schema["properties"][part])
        else:
            extra = schema.get("additionalProperties")
            schema = _resolve(root, extra if isinstance(extra, dict) else {})
    return schema


def _accepts(root: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    whole = {**schema, "$defs": root.get("$defs", {})}
    return bool(_validator_of(json.dumps(whole, sort_keys=True)).is_valid(value))


@lru_cache(maxsize=256)
def _validator_of(schema: str) -> Draft202012Validator:
    """One validator per sub-schema (by its JSON text), built once: building one costs far more than using it."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(schema), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _stand_in(root: dict[str, Any], schema: dict[str, Any], current: Any) -> Any:
    """A value the schema accepts, keeping what is well-formed in `current` where it can."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return next((v for v in _PREFERRED_ENUM if v in schema["enum"]), schema["enum"][0])
    kind = schema.get("type")
    if kind == "array":
        items: list[Any] = (
            [] if not isinstance(current, list) else list(dict.fromkeys(json.dumps(v, sort_keys=True) for v in current))
        )
        items = [json.loads(v) for v in items] if isinstance(current, list) else items
        return items if _accepts(root, schema, items) else ([] if _accepts(root, schema, []) else _NONE)
    if kind == "object":
        mapping: dict[str, Any] = {}
        for key in schema.get("required", ()):
            sub = _stand_in(root, _resolve(root, schema.get("properties", {}).get(key, {})), None)
            if sub is _NONE:
                return _NONE
            mapping[key] = sub
        return mapping if _accepts(root, schema, mapping) else _NONE
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        for number in (schema.get("minimum", 0), schema.get("maximum", 0), 1):
            if _accepts(root, schema, number):
                return number
        return _NONE
    if kind == "string" or "pattern" in schema:
        return next((v for v in _TEXT_STAND_INS if _accepts(root, schema, v)), _NONE)
    return _NONE
