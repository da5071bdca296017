"""What counts as an intrinsic function, what arguments each one takes, and `Fn::Sub` strings.

Shared by the resolver (functions.py), the static reference check (references.py), condition
evaluation and the dependency graph, so all four agree on the shape of a call.

Decisions:
- A call is a mapping with exactly one key, that key being `Ref` or `Fn::...`. A function key
  next to other keys is an error rather than plain data: it is almost always a mistake (a
  `Ref` indented one level too far), and CloudFormation rejects it too.
- `{"Condition": name}` is a call only inside condition expressions; in properties it is data.
- Argument *shapes* (list lengths, literal strings where CloudFormation demands them) are
  checked before anything is resolved, so a wrong shape is reported the same way by
  `validate_references` and at resolve time.
- Functions CloudFormation has but this service does not (Fn::ImportValue needs cross-stack
  exports; Fn::Cidr, Fn::Length, Fn::ToJsonString and Fn::ForEach need the language
  extensions transform) get a "not supported" error instead of "unknown function".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from models.orchestration.templates.errors import PathPart, TemplateError

VALUE_FUNCTIONS = frozenset(
    {
        "Ref",
        "Fn::Base64",
        "Fn::FindInMap",
        "Fn::GetAtt",
        "Fn::GetAZs",
        "Fn::If",
        "Fn::Join",
        "Fn::Select",
        "Fn::Split",
        "Fn::Sub",
    }
)
CONDITION_FUNCTIONS = frozenset({"Fn::And", "Fn::Equals", "Fn::Not", "Fn::Or"})
UNSUPPORTED_FUNCTIONS = {
    "Fn::ImportValue": "cross-stack exports are not available in this service",
    "Fn::Cidr": "it is not implemented by this service",
    "Fn::Transform": "template macros are not available in this service",
    "Fn::Length": "it needs the AWS::LanguageExtensions transform",
    "Fn::ToJsonString": "it needs the AWS::LanguageExtensions transform",
    "Fn::ForEach": "it needs the AWS::LanguageExtensions transform",
}

NO_VALUE_NAME = "AWS::NoValue"


def is_function_key(key: object) -> bool:
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


def as_call(value: Any, *, condition_key: bool = False) -> tuple[str, Any] | None:
    """(name, arguments) if `value` is a function call, else None.

    With `condition_key`, `{"Condition": name}` counts too (inside condition expressions).
    """
    if not isinstance(value, dict) or not value:
        return None
    keys = list(value)
    function_keys = [k for k in keys if is_function_key(k) or (condition_key and k == "Condition")]
    if not function_keys:
        return None
    if len(keys) > 1:
        raise TemplateError(f"{function_keys[0]} must be the only key in its mapping")
    return keys[0], value[keys[0]]


def _is_list(args: Any, *counts: int) -> bool:
    return isinstance(args, list) and len(args) in counts


def _is_string_or_call(value: Any) -> bool:
    return isinstance(value, str) or as_call(value) is not None


def check_arguments(name: str, args: Any) -> None:
    """Raise TemplateError when `args` has the wrong shape for function `name`."""
    if name in UNSUPPORTED_FUNCTIONS:
        raise TemplateError(f"{name} is not supported: {UNSUPPORTED_FUNCTIONS[name]}")
    if name in CONDITION_FUNCTIONS:
        _check_condition_arguments(name, args)
        return
    if name not in VALUE_FUNCTIONS:
        raise TemplateError(f"Unknown function {name}")
    problem = _value_function_problem(name, args)
    if problem:
        raise TemplateError(f"{name} {problem}")


def _value_function_problem(name: str, args: Any) -> str | None:
    if name == "Ref":
        return (
            None if isinstance(args, str) and args else "takes the name of a parameter or resource"
        )
    if name == "Fn::GetAtt":
        if isinstance(args, str) and "." in args.strip("."):
            return None
        if _is_list(args, 2) and isinstance(args[0], str) and _is_string_or_call(args[1]):
            return None
        return "takes [resource name, attribute name]"
    if name == "Fn::Join":
        ok = _is_list(args, 2) and isinstance(args[0], str)
        return None if ok else "takes [delimiter, [values]]"
    if name == "Fn::Select":
        return None if _is_list(args, 2) else "takes [index, [values]]"
    if name == "Fn::Split":
        ok = _is_list(args, 2) and isinstance(args[0], str) and args[0] != ""
        return None if ok else "takes [non-empty delimiter, string]"
    if name == "Fn::FindInMap":
        return None if _is_list(args, 3) else "takes [map name, top-level key, second-level key]"
    if name == "Fn::If":
        ok = _is_list(args, 3) and isinstance(args[0], str)
        return None if ok else "takes [condition name, value if true, value if false]"
    if name == "Fn::Sub":
        if isinstance(args, str):
            return None
        ok = _is_list(args, 2) and isinstance(args[0], str) and isinstance(args[1], dict)
        return None if ok else "takes a string, or [string, {variable: value}]"
    if name == "Fn::GetAZs":
        return None if _is_string_or_call(args) else "takes a region name (or an empty string)"
    # Fn::Base64: any string-valued argument; checked when it has been resolved.
    return None


def _check_condition_arguments(name: str, args: Any) -> None:
    if name == "Fn::Equals" and not _is_list(args, 2):
        raise TemplateError("Fn::Equals takes [value, value]")
    if name == "Fn::Not" and not _is_list(args, 1):
        raise TemplateError("Fn::Not takes [condition]")
    if name in ("Fn::And", "Fn::Or") and not _is_list(args, *range(2, 11)):
        raise TemplateError(f"{name} takes a list of 2 to 10 conditions")


def get_att_arguments(args: Any) -> tuple[str, Any]:
    """(resource, attribute) from either accepted form; the attribute may be a call."""
    if isinstance(args, str):
        resource, _, attribute = args.partition(".")
        return resource, attribute
    return args[0], args[1]


# --- Fn::Sub strings -----------------------------------------------------------------------------

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class SubVariable:
    name: str


def parse_sub(text: str) -> list[str | SubVariable]:
    """Split a Fn::Sub string into literal text and `${...}` variables.

    `${!Name}` is the literal `${Name}`. Every other `${...}` is a variable, even ones that
    look like shell syntax: CloudFormation treats them the same way, and a script in UserData
    escapes its own `${VAR}` as `${!VAR}`. A `$` without a brace, or an unclosed `${`, is text.
    """
    parts: list[str | SubVariable] = []
    position = 0
    for match in _SUB_VARIABLE.finditer(text):
        literal = text[position : match.start()]
        inner = match.group(1)
        if inner.startswith("!"):
            literal += "${" + inner[1:] + "}"
        else:
            name = inner.strip()
            if not name:
                raise TemplateError("Fn::Sub has an empty variable ${}")
            if literal:
                parts.append(literal)
            parts.append(SubVariable(name))
            literal = ""
        if literal:
            parts.append(literal)
        position = match.end()
    if position < len(text):
        parts.append(text[position:])
    return _merge_literals(parts)


def _merge_literals(parts: list[str | SubVariable]) -> list[str | SubVariable]:
    merged: list[str | SubVariable] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return merged


def sub_arguments(args: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(args, str):
        return args, {}
    return args[0], args[1]


# --- Walking values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    name: str
    args: Any
    path: tuple[PathPart, ...]


def iter_calls(
    value: Any,
    *,
    conditions: Mapping[str, bool] | None = None,
    path: tuple[PathPart, ...] = (),
) -> Iterator[Call]:
    """Every function call in `value`, outermost first, nested calls included.

    `path` runs through plain mappings and lists only; calls nested in another call's
    arguments carry the outer call's path. With `conditions`, only the branch of an `Fn::If`
    that the conditions select is walked (so a reference in the untaken branch is no
    dependency). A mapping with a function key next to other keys raises TemplateError.
    """
    call = _as_call_at(value, path)
    if call is not None:
        name, args = call
        yield Call(name, args, path)
        yield from _iter_arguments(name, args, conditions, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_calls(item, conditions=conditions, path=(*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_calls(item, conditions=conditions, path=(*path, index))


def _as_call_at(value: Any, path: tuple[PathPart, ...]) -> tuple[str, Any] | None:
    try:
        return as_call(value)
    except TemplateError as error:
        raise TemplateError(error.detail, path=path) from None


def _iter_arguments(
    name: str, args: Any, conditions: Mapping[str, bool] | None, path: tuple[PathPart, ...]
) -> Iterator[Call]:
    if (
        name == "Fn::If"
        and conditions is not None
        and _is_list(args, 3)
        and isinstance(args[0], str)
        and args[0] in conditions
    ):
        yield from _iter_nested(args[1] if conditions[args[0]] else args[2], conditions, path)
        return
    yield from _iter_nested(args, conditions, path)


def _iter_nested(
    value: Any, conditions: Mapping[str, bool] | None, path: tuple[PathPart, ...]
) -> Iterator[Call]:
    call = _as_call_at(value, path)
    if call is not None:
        name, args = call
        yield Call(name, args, path)
        yield from _iter_arguments(name, args, conditions, path)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _iter_nested(item, conditions, path)
    elif isinstance(value, list):
        for item in value:
            yield from _iter_nested(item, conditions, path)
