"""Template text to a `Template`: the sections and their structure, nothing resolved.

`parse_template` checks what can be checked without looking inside function calls: the
sections, each resource's attributes, that DependsOn and Condition name things that exist,
and the output entries. Whether every Ref, GetAtt and Sub variable points at something is
`validate_references` (references.py), and cycles are dependencies.py; `validate_template`
runs all of them.

Decisions:
- Unknown top-level sections are errors. Transform, Rules and Hooks are named as "not
  supported" (they need AWS services) rather than "unknown".
- AWSTemplateFormatVersion is optional and, when present, must be "2010-09-09". Heat's own
  `HeatTemplateFormatVersion` is not accepted: this service speaks CloudFormation.
- Logical ids (resources, parameters, mappings, conditions, outputs) must be alphanumeric, as
  in CloudFormation; it also keeps `${Resource.Attribute}` in Fn::Sub unambiguous.
- DeletionPolicy and UpdateReplacePolicy take Delete or Retain. Snapshot is refused rather
  than treated as Delete, which would silently lose the data it was meant to keep.
- Outputs may not declare Export: without Fn::ImportValue nothing could read it.
- Limits follow CloudFormation's quotas (500 resources, 200 parameters, outputs, mappings).
"""

from __future__ import annotations

import re
from typing import Any

from models.orchestration.templates.errors import TemplateError, resource_where
from models.orchestration.templates.loading import load_document
from models.orchestration.templates.model import (
    TEMPLATE_VERSION,
    OutputDef,
    ParameterDef,
    ResourceDef,
    Template,
)
from models.orchestration.templates.parameters import parse_parameter

MAX_RESOURCES = 500
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200
MAX_MAPPINGS = 200
MAX_DESCRIPTION_BYTES = 1024

SECTIONS = frozenset(
    {
        "AWSTemplateFormatVersion",
        "Description",
        "Metadata",
        "Parameters",
        "Mappings",
        "Conditions",
        "Resources",
        "Outputs",
    }
)
UNSUPPORTED_SECTIONS = {
    "Transform": "macros and the serverless transform need AWS",
    "Rules": "parameter rules are not implemented",
    "Hooks": "hooks need AWS CodeDeploy",
}
RESOURCE_ATTRIBUTES = frozenset(
    {
        "Type",
        "Properties",
        "DependsOn",
        "Metadata",
        "Condition",
        "DeletionPolicy",
        "UpdateReplacePolicy",
        "UpdatePolicy",
        "CreationPolicy",
    }
)
OUTPUT_ATTRIBUTES = frozenset({"Value", "Description", "Condition"})
_LOGICAL_ID = re.compile(r"[A-Za-z0-9]{1,255}")


def parse_template(text: str) -> Template:
    """Parse JSON or YAML template text; raises TemplateError."""
    return parse_document(load_document(text))


def parse_document(document: dict[str, Any]) -> Template:
    """Build a Template from already loaded data (e.g. a stored `Template.document`)."""
    if not isinstance(document, dict):
        raise TemplateError("Template must be a mapping")
    for key in document:
        if key in UNSUPPORTED_SECTIONS:
            raise TemplateError(f"Section {key} is not supported: {UNSUPPORTED_SECTIONS[key]}")
        if key not in SECTIONS:
            raise TemplateError(f'Unknown template section "{key}"')

    version = document.get("AWSTemplateFormatVersion")
    if version is not None and version != TEMPLATE_VERSION:
        raise TemplateError(f'AWSTemplateFormatVersion must be "{TEMPLATE_VERSION}"')
    description = document.get("Description")
    if description is not None:
        if not isinstance(description, str):
            raise TemplateError("Description must be a string")
        if len(description.encode("utf-8")) > MAX_DESCRIPTION_BYTES:
            raise TemplateError(f"Description exceeds {MAX_DESCRIPTION_BYTES} bytes")

    parameters = {
        name: parse_parameter(name, body)
        for name, body in _section(document, "Parameters", MAX_PARAMETERS).items()
    }
    mappings = _mappings(_section(document, "Mappings", MAX_MAPPINGS))
    conditions = _section(document, "Conditions", None)
    resource_bodies = _section(document, "Resources", MAX_RESOURCES)
    if not resource_bodies:
        raise TemplateError("Resources must declare at least one resource")
    _check_unique(parameters, resource_bodies)
    resources = {
        name: _resource(name, body, resource_bodies, conditions)
        for name, body in resource_bodies.items()
    }
    outputs = {
        name: _output(name, body, conditions)
        for name, body in _section(document, "Outputs", MAX_OUTPUTS).items()
    }
    return Template(
        resources=resources,
        version=version,
        description=description,
        metadata=_mapping(document.get("Metadata"), "Metadata"),
        parameters=parameters,
        mappings=mappings,
        conditions=conditions,
        outputs=outputs,
        document=document,
    )


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TemplateError(f"{what} must be a mapping")
    return value


def _section(document: dict[str, Any], key: str, limit: int | None) -> dict[str, Any]:
    if key == "Resources" and key not in document:
        raise TemplateError("Template must have a Resources section")
    section = _mapping(document.get(key), f"Section {key}")
    for name in section:
        if not isinstance(name, str) or not _LOGICAL_ID.fullmatch(name):
            raise TemplateError(f'{key}: name "{name}" must be alphanumeric (A-Z, a-z, 0-9)')
    if limit is not None and len(section) > limit:
        raise TemplateError(f"{key} may declare at most {limit} entries")
    return section


def _check_unique(parameters: dict[str, ParameterDef], resources: dict[str, Any]) -> None:
    # Ref looks a name up in both, so one name may not mean two things.
    for name in parameters:
        if name in resources:
            raise TemplateError(f'"{name}" is both a parameter and a resource')


def _mappings(section: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for name, body in section.items():
        if not isinstance(body, dict) or not body:
            raise TemplateError(f'Mapping "{name}" must be a non-empty mapping')
        entries: dict[str, dict[str, Any]] = {}
        for key, values in body.items():
            if not isinstance(values, dict) or not values:
                raise TemplateError(f'Mapping "{name}": key "{key}" must map to a mapping')
            # YAML reads unquoted keys such as `64` as numbers; FindInMap looks them up as text.
            entries[str(key)] = {str(inner): value for inner, value in values.items()}
        result[name] = entries
    return result


def _resource(
    name: str, body: Any, resources: dict[str, Any], conditions: dict[str, Any]
) -> ResourceDef:
    if not isinstance(body, dict):
        raise TemplateError(f'Resource "{name}" must be a mapping')
    for key in body:
        if key not in RESOURCE_ATTRIBUTES:
            raise TemplateError(f'unknown attribute "{key}"', where=f'Resource "{name}"')
    resource_type = body.get("Type")
    if not isinstance(resource_type, str) or not resource_type:
        raise TemplateError("Type is required and must be a string", where=f'Resource "{name}"')
    return ResourceDef(
        name=name,
        type=resource_type,
        properties=_attribute_mapping(name, body, "Properties"),
        depends_on=_depends_on(name, body.get("DependsOn"), resources),
        metadata=_attribute_mapping(name, body, "Metadata"),
        condition=_condition_name(body.get("Condition"), conditions, f'Resource "{name}"'),
        deletion_policy=_policy(name, body, "DeletionPolicy"),
        update_replace_policy=_policy(name, body, "UpdateReplacePolicy"),
        update_policy=_attribute_mapping(name, body, "UpdatePolicy"),
        creation_policy=_attribute_mapping(name, body, "CreationPolicy"),
    )


def _attribute_mapping(name: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TemplateError(f"{key} must be a mapping", where=f'Resource "{name}"')
    return value


def _depends_on(name: str, value: Any, resources: dict[str, Any]) -> tuple[str, ...]:
    where = resource_where(name, "DependsOn")
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise TemplateError("must be a resource name or a list of them", where=where)
    for target in names:
        if target == name:
            raise TemplateError("a resource cannot depend on itself", where=where)
        if target not in resources:
            raise TemplateError(f'unknown resource "{target}"', where=where)
    return tuple(dict.fromkeys(names))


def _condition_name(value: Any, conditions: dict[str, Any], where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TemplateError("Condition must be the name of a condition", where=where)
    if value not in conditions:
        raise TemplateError(f'Condition names unknown condition "{value}"', where=where)
    return value


def _policy(name: str, body: dict[str, Any], key: str) -> Any:
    value = body.get(key, "Delete")
    if value not in ("Delete", "Retain"):
        raise TemplateError(
            f'{key} must be "Delete" or "Retain" (Snapshot is not supported)',
            where=f'Resource "{name}"',
        )
    return value


def _output(name: str, body: Any, conditions: dict[str, Any]) -> OutputDef:
    where = f'Output "{name}"'
    if not isinstance(body, dict):
        raise TemplateError("must be a mapping", where=where)
    if "Export" in body:
        raise TemplateError("Export is not supported: there is no Fn::ImportValue", where=where)
    for key in body:
        if key not in OUTPUT_ATTRIBUTES:
            raise TemplateError(f'unknown attribute "{key}"', where=where)
    if "Value" not in body:
        raise TemplateError("Value is required", where=where)
    description = body.get("Description")
    if description is not None and not isinstance(description, str):
        raise TemplateError("Description must be a string", where=where)
    return OutputDef(
        name=name,
        value=body["Value"],
        description=description,
        condition=_condition_name(body.get("Condition"), conditions, where),
    )
