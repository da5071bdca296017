"""The parsed template: plain frozen dataclasses, no behaviour beyond simple lookups.

Values inside (properties, metadata, condition expressions, output values) stay in the
template's long form: intrinsic functions are one-key mappings such as `{"Ref": "X"}`, which is
what the YAML short forms (`!Ref X`) are turned into while loading. So the engine can store
`Template.document` as JSON and parse it again later with the same result.

The dataclasses are frozen so a template cannot change under a running stack operation; the
mappings inside are not copied into read-only types, because nothing in this package mutates
them and copying large property trees would cost more than it protects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

TEMPLATE_VERSION = "2010-09-09"

# What Ref returns for a parameter: Number parameters too are strings (as in CloudFormation,
# "the parameter value becomes a string" when referenced); list types are tuples of strings.
ParameterValue = str | tuple[str, ...]

DeletionPolicy = Literal["Delete", "Retain"]
# What a declared type is checked as: AWS-specific types are Strings, List<AWS::...> lists.
BaseType = Literal["String", "Number", "CommaDelimitedList", "List<Number>"]


@dataclass(frozen=True)
class ParameterDef:
    name: str
    type: str  # as declared, e.g. "AWS::EC2::KeyPair::KeyName"
    base_type: BaseType
    default: str | None = None
    allowed_values: tuple[str, ...] | None = None
    allowed_pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    no_echo: bool = False
    description: str | None = None
    constraint_description: str | None = None

    @property
    def is_list(self) -> bool:
        return self.base_type in ("CommaDelimitedList", "List<Number>")

    @property
    def is_number(self) -> bool:
        return self.base_type in ("Number", "List<Number>")


@dataclass(frozen=True)
class ResourceDef:
    name: str
    type: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    condition: str | None = None
    deletion_policy: DeletionPolicy = "Delete"
    update_replace_policy: DeletionPolicy = "Delete"
    # Kept as written; only the engine knows which resource types honour them.
    update_policy: Mapping[str, Any] = field(default_factory=dict)
    creation_policy: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputDef:
    name: str
    value: Any
    description: str | None = None
    condition: str | None = None


@dataclass(frozen=True)
class Template:
    resources: Mapping[str, ResourceDef]
    version: str | None = None
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, ParameterDef] = field(default_factory=dict)
    mappings: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, OutputDef] = field(default_factory=dict)
    # The whole template in long form (short YAML tags expanded), as JSON-ready data.
    document: Mapping[str, Any] = field(default_factory=dict)
