"""The entities of PutMetricData's EntityMetricData (cloudwatch-api.md §3.1), pure.

An entity names what a metric is about (a resource, a service) so that CloudWatch can find
related telemetry. We do not store entities: they are checked, as AWS checks them, and then
dropped. The datapoints of every EntityMetricData entry are stored like MetricData's.

Rules, from the service model (botocore 1.44.8) and the API reference:
- EntityMetricData: at most 2 entries.
- Entity.KeyAttributes: required ("for an entity to be valid, the KeyAttributes must exist");
  2 to 4 entries; keys from Type, ResourceType, Identifier, Name, Environment (the model's
  1-32 characters hold for each of them, so the set is the whole rule); values 1-2048
  characters.
- KeyAttributes.Type: one of the five types of the User Guide's "How to add related
  information to telemetry" (also Application Signals' KeyAttributes): `Service` (needs
  Name and Environment), `RemoteService` and `AWS::Service` (need Name), `Resource` and
  `AWS::Resource` (need ResourceType and Identifier). The model lists only the key names,
  so the required keys per type are our reading of those pages [?].
- Entity.Attributes: 0 to 10 entries; keys 1-256 characters, values 1-2048.

Every problem has a kind, the value AWS documents for the `X-Amzn-Failure-Message` header
that a lenient request (StrictEntityValidation=false) gets back. Each problem takes the most
specific kind that describes it:
- EntitySizeTooLarge: more than 2 EntityMetricData entries.
- InvalidEntity: the entry has no Entity, or the Entity has no KeyAttributes.
- InvalidKeyAttributes: KeyAttributes with the wrong number of entries, a key outside the
  five, or a value of the wrong length.
- InvalidTypeValue: a Type other than the five above.
- MissingRequiredFields: no Type, or a Type without the keys it needs.
- InvalidAttributes: Attributes with too many entries, or a key or value of the wrong length.
A request with several problems reports the first, in request order (the entry count, then
each entry's KeyAttributes, Type, required keys and Attributes): the header carries one
value.

Messages name the query-style path (`EntityMetricData.member.1.Entity.KeyAttributes`), as
CloudWatch's own messages do in every protocol (§3.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_ENTITY_METRIC_DATA = 2
KEY_ATTRIBUTES_MIN, KEY_ATTRIBUTES_MAX = 2, 4
KEY_ATTRIBUTE_VALUE_MAX = 2048
ATTRIBUTES_MAX = 10
ATTRIBUTE_KEY_MAX = 256
ATTRIBUTE_VALUE_MAX = 2048

KEY_ATTRIBUTE_NAMES = ("Type", "ResourceType", "Identifier", "Name", "Environment")
# Type -> the other KeyAttributes it needs.
REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "Service": ("Name", "Environment"),
    "RemoteService": ("Name",),
    "AWS::Service": ("Name",),
    "Resource": ("ResourceType", "Identifier"),
    "AWS::Resource": ("ResourceType", "Identifier"),
}

ENTITY_SIZE_TOO_LARGE = "EntitySizeTooLarge"
INVALID_ENTITY = "InvalidEntity"
INVALID_KEY_ATTRIBUTES = "InvalidKeyAttributes"
INVALID_TYPE_VALUE = "InvalidTypeValue"
MISSING_REQUIRED_FIELDS = "MissingRequiredFields"
INVALID_ATTRIBUTES = "InvalidAttributes"
FAILURE_KINDS = (
    INVALID_ENTITY,
    INVALID_KEY_ATTRIBUTES,
    INVALID_ATTRIBUTES,
    INVALID_TYPE_VALUE,
    ENTITY_SIZE_TOO_LARGE,
    MISSING_REQUIRED_FIELDS,
)

_SHOWN_KEY_MAX = 64


@dataclass(frozen=True)
class EntityProblem:
    kind: str  # one of FAILURE_KINDS: the X-Amzn-Failure-Message value
    message: str  # for a strict request's InvalidParameterValue


def entry_count_problems(entries: list[Any]) -> list[EntityProblem]:
    if len(entries) <= MAX_ENTITY_METRIC_DATA:
        return []
    return [
        EntityProblem(
            ENTITY_SIZE_TOO_LARGE,
            "The collection EntityMetricData must not have a size greater than "
            f"{MAX_ENTITY_METRIC_DATA}.",
        )
    ]


def entity_problems(entity: Mapping[str, Any] | None, path: str) -> list[EntityProblem]:
    """Every problem of one entry's Entity; `path` is the entry's (`EntityMetricData.member.K`)."""
    entity_path = f"{path}.Entity"
    if entity is None:
        return [EntityProblem(INVALID_ENTITY, f"The parameter {entity_path} is required.")]
    key_attributes = entity.get("KeyAttributes")
    if key_attributes is None:
        return [
            EntityProblem(INVALID_ENTITY, f"The parameter {entity_path}.KeyAttributes is required.")
        ]
    problems = _key_attribute_problems(key_attributes, f"{entity_path}.KeyAttributes")
    problems += _attribute_problems(entity.get("Attributes") or {}, f"{entity_path}.Attributes")
    return problems


def first_failure(problems: list[EntityProblem]) -> str | None:
    """The X-Amzn-Failure-Message value for a lenient request with these problems."""
    return problems[0].kind if problems else None


def _key_attribute_problems(attributes: Mapping[str, str], path: str) -> list[EntityProblem]:
    problems: list[EntityProblem] = []
    if not KEY_ATTRIBUTES_MIN <= len(attributes) <= KEY_ATTRIBUTES_MAX:
        problems.append(
            EntityProblem(
                INVALID_KEY_ATTRIBUTES,
                f"The parameter {path} must have from {KEY_ATTRIBUTES_MIN} to "
                f"{KEY_ATTRIBUTES_MAX} entries.",
            )
        )
    for key, value in attributes.items():
        if key not in KEY_ATTRIBUTE_NAMES:
            problems.append(
                EntityProblem(
                    INVALID_KEY_ATTRIBUTES,
                    f"The key {_shown(key)} in {path} is not allowed. Allowed keys are "
                    f"{', '.join(KEY_ATTRIBUTE_NAMES[:-1])} and {KEY_ATTRIBUTE_NAMES[-1]}.",
                )
            )
        elif not 1 <= len(value) <= KEY_ATTRIBUTE_VALUE_MAX:
            problems.append(
                EntityProblem(
                    INVALID_KEY_ATTRIBUTES,
                    f"The value of {path}.{key} must be from 1 to {KEY_ATTRIBUTE_VALUE_MAX} "
                    "characters long.",
                )
            )

    entity_type = attributes.get("Type")
    if entity_type is None:
        problems.append(
            EntityProblem(MISSING_REQUIRED_FIELDS, f"The parameter {path}.Type is required.")
        )
    elif entity_type not in REQUIRED_BY_TYPE:
        if 1 <= len(entity_type) <= KEY_ATTRIBUTE_VALUE_MAX:  # else already reported above
            problems.append(
                EntityProblem(
                    INVALID_TYPE_VALUE,
                    f"The value {_shown(entity_type)} for parameter {path}.Type is invalid. "
                    f"Valid values are {_listed(REQUIRED_BY_TYPE)}.",
                )
            )
    else:
        problems += [
            EntityProblem(
                MISSING_REQUIRED_FIELDS,
                f"The parameter {path}.{needed} is required for Type {entity_type}.",
            )
            for needed in REQUIRED_BY_TYPE[entity_type]
            if needed not in attributes
        ]
    return problems


def _attribute_problems(attributes: Mapping[str, str], path: str) -> list[EntityProblem]:
    problems: list[EntityProblem] = []
    if len(attributes) > ATTRIBUTES_MAX:
        problems.append(
            EntityProblem(
                INVALID_ATTRIBUTES,
                f"The parameter {path} must have at most {ATTRIBUTES_MAX} entries.",
            )
        )
    for key, value in attributes.items():
        if not 1 <= len(key) <= ATTRIBUTE_KEY_MAX:
            problems.append(
                EntityProblem(
                    INVALID_ATTRIBUTES,
                    f"A key of {path} must be from 1 to {ATTRIBUTE_KEY_MAX} characters long.",
                )
            )
        elif not 1 <= len(value) <= ATTRIBUTE_VALUE_MAX:
            problems.append(
                EntityProblem(
                    INVALID_ATTRIBUTES,
                    f"The value of {path}.{key} must be from 1 to {ATTRIBUTE_VALUE_MAX} "
                    "characters long.",
                )
            )
    return problems


def _shown(text: str) -> str:
    # Quote what the client sent, but keep a 2 KB value out of the message.
    return text if len(text) <= _SHOWN_KEY_MAX else text[:_SHOWN_KEY_MAX] + "..."


def _listed(names: Mapping[str, Any]) -> str:
    *first, last = names
    return f"{', '.join(first)} and {last}"
