"""Parameter declarations, the values a stack is created or updated with, and pseudo parameters.

Decisions:
- Types: String, Number, CommaDelimitedList, List<Number>. AWS-specific types
  (`AWS::EC2::KeyPair::KeyName`, `AWS::EC2::Image::Id`, ...) are Strings and `List<AWS::...>`
  are CommaDelimitedLists: this service cannot look the values up in EC2, so it checks only
  what the template itself constrains. `AWS::SSM::Parameter::...` types are rejected, since
  their value would have to be fetched from a parameter store this service does not have.
- Constraints must fit the type (no AllowedPattern on a Number, no MinValue on a String), as
  Heat insists; silently ignoring them would let a template author believe they apply. For the
  list types every constraint applies to each item.
- A Default must itself satisfy the constraints, checked when the template is parsed (Heat
  does this at validation); CloudFormation only notices when the default is used.
- Precedence on update: a given value, then the stack's existing value, then the Default.
  Existing values for parameters the new template no longer declares are dropped.
- Ref gives text for Number parameters too (CloudFormation: "the parameter value becomes a
  string"); the number check only proves the text parses. List items are stripped of spaces.
- Messages never include a value, so NoEcho parameters stay secret in errors as well as in
  `for_display()`. A ConstraintDescription, when given, replaces the generic explanation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from models.orchestration.templates.errors import ParameterError, TemplateError
from models.orchestration.templates.model import (
    BaseType,
    ParameterDef,
    ParameterValue,
    Template,
)

MASK = "******"
PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)

_ATTRIBUTES = frozenset(
    {
        "Type",
        "Default",
        "AllowedValues",
        "AllowedPattern",
        "MinLength",
        "MaxLength",
        "MinValue",
        "MaxValue",
        "NoEcho",
        "Description",
        "ConstraintDescription",
    }
)
_STRING_ONLY = ("AllowedPattern", "MinLength", "MaxLength")
_NUMBER_ONLY = ("MinValue", "MaxValue")
_BASE_TYPES: dict[str, BaseType] = {
    "String": "String",
    "Number": "Number",
    "CommaDelimitedList": "CommaDelimitedList",
    "List<Number>": "List<Number>",
}
_AWS_TYPE = re.compile(r"AWS::[A-Za-z0-9]+(::[A-Za-z0-9]+)+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class _Invalid(Exception):
    """A value breaks a constraint; the caller words the message for its situation."""


def parse_parameter(name: str, body: Any) -> ParameterDef:
    """One entry of the Parameters section; raises TemplateError naming the parameter."""
    where = f'Parameter "{name}"'
    if not isinstance(body, dict):
        raise TemplateError("must be a mapping", where=where)
    unknown = sorted(str(key) for key in body if key not in _ATTRIBUTES)
    if unknown:
        raise TemplateError(f'unknown attribute "{unknown[0]}"', where=where)
    declared = body.get("Type")
    if not isinstance(declared, str):
        raise TemplateError("Type is required and must be a string", where=where)
    base_type = _base_type(declared, where)
    is_number = base_type in ("Number", "List<Number>")
    misplaced = [key for key in (_NUMBER_ONLY if not is_number else _STRING_ONLY) if key in body]
    if misplaced:
        raise TemplateError(f"{misplaced[0]} does not apply to Type {declared}", where=where)

    definition = ParameterDef(
        name=name,
        type=declared,
        base_type=base_type,
        allowed_values=_allowed_values(body, is_number, where),
        allowed_pattern=_pattern(body, where),
        min_length=_length(body, "MinLength", where),
        max_length=_length(body, "MaxLength", where),
        min_value=_number(body, "MinValue", where),
        max_value=_number(body, "MaxValue", where),
        no_echo=_boolean(body, "NoEcho", where),
        description=_text(body, "Description", where),
        constraint_description=_text(body, "ConstraintDescription", where),
    )
    for low, high in (("min_length", "max_length"), ("min_value", "max_value")):
        low_value, high_value = getattr(definition, low), getattr(definition, high)
        if low_value is not None and high_value is not None and low_value > high_value:
            raise TemplateError(f"{_camel(low)} is greater than {_camel(high)}", where=where)

    if "Default" in body:
        default = _scalar_text(body["Default"])
        if default is None:
            raise TemplateError("Default must be a string", where=where)
        try:
            _validate(definition, default)
        except _Invalid as problem:
            raise TemplateError(f"Default value {problem}", where=where) from None
        definition = replace(definition, default=default)
    return definition


def _camel(field_name: str) -> str:
    return "".join(word.capitalize() for word in field_name.split("_"))


def _base_type(declared: str, where: str) -> BaseType:
    if declared in _BASE_TYPES:
        return _BASE_TYPES[declared]
    inner = declared[5:-1] if declared.startswith("List<") and declared.endswith(">") else None
    candidate = inner if inner is not None else declared
    if candidate.startswith("AWS::SSM::"):
        raise TemplateError(
            f"Type {declared} is not supported: there is no parameter store to read", where=where
        )
    if _AWS_TYPE.fullmatch(candidate):
        return "CommaDelimitedList" if inner is not None else "String"
    raise TemplateError(f'unknown Type "{declared}"', where=where)


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def _allowed_values(body: dict[str, Any], is_number: bool, where: str) -> tuple[str, ...] | None:
    if "AllowedValues" not in body:
        return None
    values = body["AllowedValues"]
    texts = [_scalar_text(v) for v in values] if isinstance(values, list) else []
    if not texts or any(text is None for text in texts):
        raise TemplateError("AllowedValues must be a non-empty list of strings", where=where)
    if is_number and not all(_is_number(text) for text in texts if text is not None):
        raise TemplateError("AllowedValues must all be numbers", where=where)
    return tuple(text for text in texts if text is not None)


def _pattern(body: dict[str, Any], where: str) -> str | None:
    pattern = body.get("AllowedPattern")
    if pattern is None:
        return None
    if not isinstance(pattern, str):
        raise TemplateError("AllowedPattern must be a string", where=where)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise TemplateError(f"AllowedPattern is not a valid pattern: {exc}", where=where) from None
    return pattern


def _length(body: dict[str, Any], key: str, where: str) -> int | None:
    if key not in body:
        return None
    text = _scalar_text(body[key])
    if isinstance(body[key], bool) or text is None or not (text.isascii() and text.isdigit()):
        raise TemplateError(f"{key} must be a non-negative integer", where=where)
    return int(text)


def _number(body: dict[str, Any], key: str, where: str) -> float | None:
    if key not in body:
        return None
    text = _scalar_text(body[key])
    if isinstance(body[key], bool) or text is None or not _is_number(text):
        raise TemplateError(f"{key} must be a number", where=where)
    return float(text)


def _boolean(body: dict[str, Any], key: str, where: str) -> bool:
    value = body.get(key, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TemplateError(f'{key} must be true or false (or "true" or "false")', where=where)


def _text(body: dict[str, Any], key: str, where: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise TemplateError(f"{key} must be a string", where=where)
    return value


def _is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text.strip())) and math.isfinite(float(text))


def _show_number(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


# --- Values --------------------------------------------------------------------------------------


def _validate(definition: ParameterDef, text: str) -> ParameterValue:
    """The value Ref will return, or _Invalid with the broken constraint."""
    if not definition.is_list:
        return _validate_item(definition, text)
    items = tuple(item.strip() for item in text.split(",")) if text.strip() else ()
    for position, item in enumerate(items, start=1):
        try:
            _validate_item(definition, item)
        except _Invalid as problem:
            raise _Invalid(f"item {position} {problem}") from None
    return items


def _validate_item(definition: ParameterDef, text: str) -> str:
    if definition.is_number:
        return _validate_number(definition, text)
    if definition.allowed_values is not None and text not in definition.allowed_values:
        raise _Invalid("must be one of AllowedValues: " + ", ".join(definition.allowed_values))
    if definition.allowed_pattern is not None and not re.fullmatch(
        definition.allowed_pattern, text
    ):
        raise _Invalid(f'must match the pattern "{definition.allowed_pattern}"')
    if definition.min_length is not None and len(text) < definition.min_length:
        raise _Invalid(f"must be at least {definition.min_length} characters long")
    if definition.max_length is not None and len(text) > definition.max_length:
        raise _Invalid(f"must be at most {definition.max_length} characters long")
    return text


def _validate_number(definition: ParameterDef, text: str) -> str:
    text = text.strip()
    if not _is_number(text):
        raise _Invalid("must be a number")
    number = float(text)
    allowed = definition.allowed_values
    if allowed is not None and number not in {float(value) for value in allowed}:
        raise _Invalid("must be one of AllowedValues: " + ", ".join(allowed))
    if definition.min_value is not None and number < definition.min_value:
        raise _Invalid(f"must be at least {_show_number(definition.min_value)}")
    if definition.max_value is not None and number > definition.max_value:
        raise _Invalid(f"must be at most {_show_number(definition.max_value)}")
    return text


@dataclass(frozen=True)
class ResolvedParameters:
    # What Ref returns: text, or a tuple of text for the list types.
    values: Mapping[str, ParameterValue]
    # The text each value came from: store it, and pass it back as `existing` on update.
    raw: Mapping[str, str]
    no_echo: frozenset[str]

    def for_display(self) -> dict[str, str]:
        """The raw values with NoEcho ones masked, as the API shows them."""
        return {name: MASK if name in self.no_echo else text for name, text in self.raw.items()}


def resolve_parameters(
    template: Template,
    given: Mapping[str, Any],
    *,
    existing: Mapping[str, str] | None = None,
) -> ResolvedParameters:
    """Check and type the values for `template`'s parameters; raises ParameterError."""
    for name in given:
        if name not in template.parameters:
            raise ParameterError(f"The Parameter ({name}) was not defined in template.")
    existing = existing or {}
    values: dict[str, ParameterValue] = {}
    raw: dict[str, str] = {}
    for name, definition in template.parameters.items():
        if name in given:
            text = _given_text(definition, given[name])
        elif name in existing:
            text = existing[name]
        elif definition.default is not None:
            text = definition.default
        else:
            raise ParameterError(f"The Parameter ({name}) was not provided.")
        try:
            values[name] = _validate(definition, text)
        except _Invalid as problem:
            if definition.constraint_description:
                message = f"failed to satisfy constraint: {definition.constraint_description}"
            else:
                message = str(problem)
            raise ParameterError(f'Parameter "{name}" {message}') from None
        raw[name] = text
    no_echo = frozenset(name for name, d in template.parameters.items() if d.no_echo)
    return ResolvedParameters(values=values, raw=raw, no_echo=no_echo)


def _given_text(definition: ParameterDef, value: Any) -> str:
    # JSON request bodies may carry numbers, and lists for the list types; accept both.
    if definition.is_list and isinstance(value, list | tuple):
        texts = [_scalar_text(item) for item in value]
        if all(text is not None and "," not in text for text in texts):
            return ",".join(text for text in texts if text is not None)
    text = _scalar_text(value)
    if text is None:
        raise ParameterError(f'Parameter "{definition.name}" must be a string')
    return text


def pseudo_parameters(
    *,
    stack_name: str,
    stack_id: str,
    region: str,
    account_id: str,
    partition: str = "aws",
    url_suffix: str = "amazonaws.com",
    notification_arns: Sequence[str] = (),
) -> dict[str, ParameterValue]:
    """The values Ref gives for the AWS:: pseudo parameters (AWS::NoValue is the resolver's)."""
    return {
        "AWS::AccountId": account_id,
        "AWS::NotificationARNs": tuple(notification_arns),
        "AWS::Partition": partition,
        "AWS::Region": region,
        "AWS::StackId": stack_id,
        "AWS::StackName": stack_name,
        "AWS::URLSuffix": url_suffix,
    }
