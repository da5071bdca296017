"""Template text to plain data: JSON or YAML, with CloudFormation's YAML short forms.

Decisions:
- JSON when the text starts with `{`, otherwise YAML (Heat's rule). A text that starts with `{`
  but is not JSON is tried as YAML (a flow mapping) before giving up, and then the JSON error
  is reported, since that is what the author most likely wrote.
- Short forms map to the long forms: `!Ref X` -> `{"Ref": "X"}`, `!Condition X` ->
  `{"Condition": "X"}`, `!GetAtt A.B` -> `{"Fn::GetAtt": ["A", "B"]}` (split at the first dot,
  so `!GetAtt Db.Endpoint.Address` keeps `Endpoint.Address`), every other `!Name` ->
  `{"Fn::Name": value}` whatever the node kind. Unknown tags are errors.
- YAML timestamps stay strings: `AWSTemplateFormatVersion: 2010-09-09` unquoted would
  otherwise become a `date` (Heat does the same).
- Duplicate keys are errors in both formats; the parsers would silently keep the last one.
- Size is capped at 1 MB of UTF-8 (CloudFormation's limit for a template sent by S3 URL).
  YAML aliases can still multiply a small text into a huge tree, so the loaded document is
  also capped in the number of values and in nesting depth before anything walks it
  recursively.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from models.orchestration.templates.errors import TemplateError

MAX_TEMPLATE_BYTES = 1_048_576
MAX_VALUES = 200_000  # scalars + containers after aliases are expanded
MAX_DEPTH = 100

SHORT_FORMS = (
    "Base64",
    "Cidr",
    "And",
    "Equals",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "Transform",
)

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TemplateLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # merged keys may be overridden; that is what `<<` is for
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise TemplateError(
                    f"line {_line(key_node)}: a mapping key must be a scalar"
                ) from None
            if duplicate:
                raise TemplateError(f'line {_line(key_node)}: duplicate key "{key}"')
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _construct_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _short_form(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {f"Fn::{name}": _construct_value(loader, node)}

    return construct


def _construct_ref(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Ref": _construct_value(loader, node)}


def _construct_condition(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Condition": _construct_value(loader, node)}


def _construct_get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct_value(loader, node)
    if isinstance(value, str):
        resource, dot, attribute = value.partition(".")
        if not dot or not resource or not attribute:
            raise TemplateError(
                f'line {_line(node)}: !GetAtt "{value}" must have the form Resource.Attribute'
            )
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


def _construct_yaml_str(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_yaml_str)
_TemplateLoader.add_constructor("!Ref", _construct_ref)
_TemplateLoader.add_constructor("!Condition", _construct_condition)
_TemplateLoader.add_constructor("!GetAtt", _construct_get_att)
for _name in SHORT_FORMS:
    _TemplateLoader.add_constructor(f"!{_name}", _short_form(_name))


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise TemplateError(f'duplicate key "{key}"')
        result[key] = value
    return result


def _load_json(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_reject_duplicates)


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_TemplateLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TemplateError(f"Template is not valid YAML: {exc}") from exc


def load_document(text: str) -> dict[str, Any]:
    """Parse template text into a dict in long form, or raise TemplateError."""
    if not isinstance(text, str):
        raise TemplateError("Template must be text")
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"Template exceeds the maximum size of {MAX_TEMPLATE_BYTES} bytes")
    try:
        if text.lstrip().startswith("{"):
            try:
                document = _load_json(text)
            except json.JSONDecodeError as json_error:
                try:
                    document = _load_yaml(text)
                except TemplateError:
                    raise TemplateError(f"Template is not valid JSON: {json_error}") from None
        else:
            document = _load_yaml(text)
    except RecursionError:
        raise TemplateError(f"Template is nested more than {MAX_DEPTH} levels deep") from None
    if not isinstance(document, dict):
        raise TemplateError("Template must be a mapping (a JSON object or YAML mapping)")
    _check_size(document)
    return document


def _check_size(document: Any) -> None:
    """Count values iteratively, so the check itself neither recurses nor runs for long."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise TemplateError(f"Template expands to more than {MAX_VALUES} values")
        if depth > MAX_DEPTH:
            raise TemplateError(f"Template is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
