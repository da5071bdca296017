"""Resolving intrinsic functions against a running stack.

The engine supplies a `ResolveContext`: parameter values, pseudo parameters, mappings,
evaluated conditions, and two callbacks for resources, `resource_ref` (the physical id a `Ref`
returns) and `attribute` (what `Fn::GetAtt` returns). `StackContext` is a ready-made one
backed by plain mappings; the engine may use it as is or subclass it.

Decisions:
- `Ref` to `AWS::NoValue` gives the `NO_VALUE` sentinel. Mappings and lists drop entries that
  resolve to it (so the property, or the list item, disappears); `resolve()` returns it only
  when the whole value is `NO_VALUE`, and `resolve_properties()` then leaves the property out.
  A function that needs a real value (Join's items, Sub's variables, Base64) rejects it.
- Scalars are text where CloudFormation treats them as text: Join, Sub, Split, Base64 and
  FindInMap keys accept numbers and booleans (`1` -> "1", `true` -> "true"), because YAML
  turns unquoted scalars into those. `None` (an attribute with no value yet) becomes "" in
  Join and Sub, as Heat does, rather than failing a whole property over one missing attribute.
- `Fn::Base64` really encodes (UTF-8, then base64), as CloudFormation does. Heat passes text
  through unchanged because Nova encodes user data itself; a resource that wants the text
  back decodes it.
- `Fn::Select` out of range is an error (CloudFormation), not "" (Heat).
- `Fn::GetAZs` asks the context, with "" meaning the stack's region; which zones a region has
  is the engine's business.
- The condition functions (Fn::Equals, Fn::And, Fn::Or, Fn::Not) belong to condition
  expressions; found in a value they are an error, as in CloudFormation (see conditions.py).
- Error paths stop at the first function (see errors.py), so `resolve` tracks the path only
  through plain mappings and lists.
"""

from __future__ import annotations

import base64
import copy
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from models.orchestration.templates.errors import TemplateError, resource_where
from models.orchestration.templates.model import ParameterValue, ResourceDef, Template
from models.orchestration.templates.syntax import (
    CONDITION_FUNCTIONS,
    NO_VALUE_NAME,
    SubVariable,
    as_call,
    check_arguments,
    get_att_arguments,
    parse_sub,
    sub_arguments,
)


class _NoValue(enum.Enum):
    NO_VALUE = NO_VALUE_NAME

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue.NO_VALUE


class ResolveContext(Protocol):
    """What resolving needs from the stack. Methods raise TemplateError for unknown names."""

    @property
    def parameters(self) -> Mapping[str, ParameterValue]: ...

    @property
    def pseudo_parameters(self) -> Mapping[str, ParameterValue]: ...

    @property
    def mappings(self) -> Mapping[str, Mapping[str, Mapping[str, Any]]]: ...

    @property
    def conditions(self) -> Mapping[str, bool]: ...

    def availability_zones(self, region: str) -> Sequence[str]: ...

    def resource_ref(self, name: str) -> str: ...

    def attribute(self, name: str, attribute: str) -> Any: ...


@dataclass(frozen=True)
class StackContext:
    """A ResolveContext from plain mappings: tests use it, and the engine may subclass it."""

    template: Template
    parameters: Mapping[str, ParameterValue]
    pseudo_parameters: Mapping[str, ParameterValue]
    conditions: Mapping[str, bool] = field(default_factory=dict)
    resource_refs: Mapping[str, str] = field(default_factory=dict)
    resource_attributes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # None: one zone named after the region ("us-east-1a"); Heat deployments often use ("nova",)
    zones: Sequence[str] | None = None

    @property
    def mappings(self) -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
        return self.template.mappings

    def availability_zones(self, region: str) -> Sequence[str]:
        return list(self.zones) if self.zones is not None else [f"{region}a"]

    def resource_ref(self, name: str) -> str:
        if name not in self.template.resources:
            raise TemplateError(f'Ref to unknown parameter or resource "{name}"')
        if name not in self.resource_refs:
            raise TemplateError(f'Resource "{name}" has no physical ID yet')
        return self.resource_refs[name]

    def attribute(self, name: str, attribute: str) -> Any:
        if name not in self.template.resources:
            raise TemplateError(f'Fn::GetAtt on unknown resource "{name}"')
        attributes = self.resource_attributes.get(name, {})
        if attribute not in attributes:
            raise TemplateError(f'Resource "{name}" has no attribute "{attribute}"')
        return attributes[attribute]


def resolve(value: Any, context: ResolveContext) -> Any:
    """`value` with every intrinsic function replaced by its result (a new structure).

    Returns `NO_VALUE` when the whole value is `Ref: AWS::NoValue` (or an `Fn::If` choosing
    it); raises TemplateError with the path to the failing place within `value`.
    """
    return _resolve(value, context, track_path=True)


def resolve_properties(resource: ResourceDef, context: ResolveContext) -> dict[str, Any]:
    """The resource's Properties resolved; errors name the resource and the property."""
    try:
        result = _resolve(dict(resource.properties), context, track_path=True)
    except TemplateError as error:
        raise error.located(resource_where(resource.name)) from error
    return result  # type: ignore[no-any-return]


def resolve_metadata(resource: ResourceDef, context: ResolveContext) -> dict[str, Any]:
    try:
        result = _resolve(dict(resource.metadata), context, track_path=True)
    except TemplateError as error:
        raise error.located(resource_where(resource.name, "Metadata")) from error
    return result  # type: ignore[no-any-return]


def _resolve(value: Any, context: ResolveContext, *, track_path: bool) -> Any:
    call = as_call(value)
    if call is not None:
        return _call(call[0], call[1], context)
    if isinstance(value, dict):
        resolved: dict[Any, Any] = {}
        for key, item in value.items():
            result = _resolve_item(item, key, context, track_path)
            if result is not NO_VALUE:
                resolved[key] = result
        return resolved
    if isinstance(value, list):
        items = (_resolve_item(item, i, context, track_path) for i, item in enumerate(value))
        return [item for item in items if item is not NO_VALUE]
    return value


def _resolve_item(value: Any, key: Any, context: ResolveContext, track_path: bool) -> Any:
    if not track_path:
        return _resolve(value, context, track_path=False)
    try:
        return _resolve(value, context, track_path=True)
    except TemplateError as error:
        raise error.within(key if isinstance(key, int) else str(key)) from error


def _argument(value: Any, context: ResolveContext) -> Any:
    return _resolve(value, context, track_path=False)


def _call(name: str, args: Any, context: ResolveContext) -> Any:
    if name in CONDITION_FUNCTIONS:
        raise TemplateError(f"{name} can only be used in condition expressions")
    check_arguments(name, args)
    return _HANDLERS[name](args, context)


def as_text(value: Any, what: str) -> str:
    """A scalar as CloudFormation's text form; `what` names it in the error."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if value is NO_VALUE:
        raise TemplateError(f"{what} is AWS::NoValue, but a string is needed")
    kind = "a list" if isinstance(value, list | tuple) else type(value).__name__
    raise TemplateError(f"{what} must be a string, not {kind}")


def _text_or_empty(value: Any, what: str) -> str:
    return "" if value is None else as_text(value, what)


def _ref(args: str, context: ResolveContext) -> Any:
    if args == NO_VALUE_NAME:
        return NO_VALUE
    for source in (context.parameters, context.pseudo_parameters):
        if args in source:
            value = source[args]
            return value if isinstance(value, str) else list(value)
    if args.startswith("AWS::"):
        raise TemplateError(f'Ref to unknown pseudo parameter "{args}"')
    return context.resource_ref(args)


def _get_att(args: Any, context: ResolveContext) -> Any:
    resource, attribute = get_att_arguments(args)
    attribute = as_text(_argument(attribute, context), "Fn::GetAtt attribute name")
    return context.attribute(resource, attribute)


def _join(args: list[Any], context: ResolveContext) -> str:
    delimiter, values = args
    items = _argument(values, context)
    if not isinstance(items, list):
        raise TemplateError("Fn::Join takes [delimiter, [values]]; the values are not a list")
    return delimiter.join(
        _text_or_empty(item, f"Fn::Join value {index}") for index, item in enumerate(items)
    )


def _base64(args: Any, context: ResolveContext) -> str:
    text = as_text(_argument(args, context), "Fn::Base64 value")
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _select(args: list[Any], context: ResolveContext) -> Any:
    index = _index(_argument(args[0], context))
    items = _argument(args[1], context)
    if not isinstance(items, list):
        raise TemplateError("Fn::Select takes [index, [values]]; the values are not a list")
    if index >= len(items):
        raise TemplateError(f"Fn::Select index {index} is out of range for {len(items)} values")
    return items[index]


def _index(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        index = value
    else:
        text = as_text(value, "Fn::Select index").strip()
        index = int(text) if text.isascii() and text.isdigit() else -1
    if index < 0:
        raise TemplateError("Fn::Select index must be a non-negative integer")
    return index


def _split(args: list[Any], context: ResolveContext) -> list[str]:
    delimiter, source = args
    return as_text(_argument(source, context), "Fn::Split source").split(delimiter)


def _find_in_map(args: list[Any], context: ResolveContext) -> Any:
    map_name, top_key, second_key = (
        as_text(_argument(arg, context), f"Fn::FindInMap {what}")
        for arg, what in zip(args, ("map name", "top-level key", "second-level key"), strict=True)
    )
    if map_name not in context.mappings:
        raise TemplateError(f'Fn::FindInMap: unknown mapping "{map_name}"')
    mapping = context.mappings[map_name]
    if top_key not in mapping:
        raise TemplateError(f'Fn::FindInMap: mapping "{map_name}" has no key "{top_key}"')
    if second_key not in mapping[top_key]:
        raise TemplateError(
            f'Fn::FindInMap: mapping "{map_name}" key "{top_key}" has no key "{second_key}"'
        )
    return copy.deepcopy(mapping[top_key][second_key])


def _get_azs(args: Any, context: ResolveContext) -> list[str]:
    region = as_text(_argument(args, context), "Fn::GetAZs region")
    if not region:
        region = as_text(context.pseudo_parameters.get("AWS::Region", ""), "AWS::Region")
    return list(context.availability_zones(region))


def _if(args: list[Any], context: ResolveContext) -> Any:
    condition, if_true, if_false = args
    if condition not in context.conditions:
        raise TemplateError(f'Fn::If: unknown condition "{condition}"')
    return _argument(if_true if context.conditions[condition] else if_false, context)


def _sub(args: Any, context: ResolveContext) -> str:
    text, variables = sub_arguments(args)
    values = {
        name: _text_or_empty(_argument(value, context), f'Fn::Sub variable "{name}"')
        for name, value in variables.items()
    }
    pieces: list[str] = []
    for part in parse_sub(text):
        if isinstance(part, str):
            pieces.append(part)
        elif part.name in values:
            pieces.append(values[part.name])
        else:
            pieces.append(_sub_lookup(part, context))
    return "".join(pieces)


def _sub_lookup(variable: SubVariable, context: ResolveContext) -> str:
    what = f'Fn::Sub variable "{variable.name}"'
    if "." in variable.name:
        resource, _, attribute = variable.name.partition(".")
        return _text_or_empty(context.attribute(resource, attribute), what)
    if variable.name == NO_VALUE_NAME:
        raise TemplateError(f"{what} is AWS::NoValue, but a string is needed")
    value = _ref(variable.name, context)
    if isinstance(value, list):
        raise TemplateError(f"{what} is a list; use Fn::Join to make it a string")
    return as_text(value, what)


_HANDLERS: dict[str, Any] = {
    "Ref": _ref,
    "Fn::Base64": _base64,
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAtt": _get_att,
    "Fn::GetAZs": _get_azs,
    "Fn::If": _if,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::Sub": _sub,
}
