"""Entity rules of PutMetricData's EntityMetricData (cloudwatch-api.md §3.1), as a table."""

from __future__ import annotations

from typing import Any

import pytest

from models.watch.entity_validation import (
    FAILURE_KINDS,
    EntityProblem,
    entity_problems,
    entry_count_problems,
    first_failure,
)

pytestmark = pytest.mark.unit

PATH = "EntityMetricData.member.1"
KA = f"{PATH}.Entity.KeyAttributes"
AT = f"{PATH}.Entity.Attributes"
RESOURCE = {"Type": "AWS::Resource", "ResourceType": "AWS::EC2::Instance", "Identifier": "i-1"}
SERVICE = {"Type": "AWS::Service", "Name": "checkout", "Environment": "prod"}


def entity(key_attributes: dict[str, str] | None = None, **rest: Any) -> dict[str, Any]:
    return {"KeyAttributes": RESOURCE if key_attributes is None else key_attributes, **rest}


ACCEPTED = {
    "resource": entity(),
    "service": entity(SERVICE),
    "application service": entity({"Type": "Service", "Name": "checkout", "Environment": "eks"}),
    "remote service": entity({"Type": "RemoteService", "Name": "payments"}),
    "aws service with a name only": entity({"Type": "AWS::Service", "Name": "AWS::DynamoDB"}),
    "plain resource": entity({"Type": "Resource", "ResourceType": "Host", "Identifier": "h1"}),
    "resource with a fourth allowed key": entity({**RESOURCE, "Environment": "prod"}),
    "values of 1 and 2048 characters": entity({**RESOURCE, "Identifier": "i" * 2048}),
    "no attributes": {"KeyAttributes": SERVICE},
    "empty attributes": entity(Attributes={}),
    "ten attributes, long keys and values": entity(
        Attributes={f"{i}{'k' * 255}": "v" * 2048 for i in range(10)}
    ),
}


@pytest.mark.parametrize("value", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_valid_entities(value: dict[str, Any]) -> None:
    assert entity_problems(value, PATH) == []


REFUSED = {
    "no entity": (None, "InvalidEntity", f"The parameter {PATH}.Entity is required."),
    "no key attributes": (
        {"Attributes": {"a": "b"}},
        "InvalidEntity",
        f"The parameter {KA} is required.",
    ),
    "one key attribute": (
        entity({"Type": "AWS::Service"}),
        "InvalidKeyAttributes",
        f"The parameter {KA} must have from 2 to 4 entries.",
    ),
    "five key attributes": (
        entity({**RESOURCE, "Name": "n", "Environment": "e"}),
        "InvalidKeyAttributes",
        f"The parameter {KA} must have from 2 to 4 entries.",
    ),
    "unknown key": (
        entity({**RESOURCE, "Colour": "blue"}),
        "InvalidKeyAttributes",
        f"The key Colour in {KA} is not allowed. Allowed keys are Type, ResourceType, "
        "Identifier, Name and Environment.",
    ),
    "key of 33 characters": (
        entity({**RESOURCE, "K" * 33: "v"}),
        "InvalidKeyAttributes",
        f"The key {'K' * 33} in {KA} is not allowed.",
    ),
    "empty value": (
        entity({**RESOURCE, "Identifier": ""}),
        "InvalidKeyAttributes",
        f"The value of {KA}.Identifier must be from 1 to 2048 characters long.",
    ),
    "value of 2049 characters": (
        entity({**RESOURCE, "Identifier": "i" * 2049}),
        "InvalidKeyAttributes",
        f"The value of {KA}.Identifier must be from 1 to 2048 characters long.",
    ),
    "unknown type": (
        entity({**RESOURCE, "Type": "AWS::Thing"}),
        "InvalidTypeValue",
        f"The value AWS::Thing for parameter {KA}.Type is invalid. Valid values are "
        "Service, RemoteService, AWS::Service, Resource and AWS::Resource.",
    ),
    "type in the wrong case": (
        entity({**SERVICE, "Type": "aws::service"}),
        "InvalidTypeValue",
        f"The value aws::service for parameter {KA}.Type is invalid.",
    ),
    "no type": (
        entity({"Name": "checkout", "Environment": "prod"}),
        "MissingRequiredFields",
        f"The parameter {KA}.Type is required.",
    ),
    "resource without identifier": (
        entity({"Type": "AWS::Resource", "ResourceType": "AWS::S3::Bucket"}),
        "MissingRequiredFields",
        f"The parameter {KA}.Identifier is required for Type AWS::Resource.",
    ),
    "service without environment": (
        entity({"Type": "Service", "Name": "checkout"}),
        "MissingRequiredFields",
        f"The parameter {KA}.Environment is required for Type Service.",
    ),
    "plain resource without resource type": (
        entity({"Type": "Resource", "Identifier": "i-1"}),
        "MissingRequiredFields",
        f"The parameter {KA}.ResourceType is required for Type Resource.",
    ),
    "service with resource keys": (
        entity({"Type": "AWS::Service", "ResourceType": "x", "Identifier": "y"}),
        "MissingRequiredFields",
        f"The parameter {KA}.Name is required for Type AWS::Service.",
    ),
    "eleven attributes": (
        entity(Attributes={f"a{i}": "v" for i in range(11)}),
        "InvalidAttributes",
        f"The parameter {AT} must have at most 10 entries.",
    ),
    "attribute key of 257 characters": (
        entity(Attributes={"k" * 257: "v"}),
        "InvalidAttributes",
        f"A key of {AT} must be from 1 to 256 characters long.",
    ),
    "empty attribute key": (
        entity(Attributes={"": "v"}),
        "InvalidAttributes",
        f"A key of {AT} must be from 1 to 256 characters long.",
    ),
    "empty attribute value": (
        entity(Attributes={"k": ""}),
        "InvalidAttributes",
        f"The value of {AT}.k must be from 1 to 2048 characters long.",
    ),
    "attribute value of 2049 characters": (
        entity(Attributes={"k": "v" * 2049}),
        "InvalidAttributes",
        f"The value of {AT}.k must be from 1 to 2048 characters long.",
    ),
}


@pytest.mark.parametrize(("value", "kind", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_invalid_entities(value: dict[str, Any] | None, kind: str, message: str) -> None:
    problems = entity_problems(value, PATH)
    assert problems
    assert problems[0].kind == kind
    assert problems[0].message.startswith(message)
    assert first_failure(problems) == kind
    assert {p.kind for p in problems} <= set(FAILURE_KINDS)


def test_problems_come_in_request_order_with_their_own_kinds() -> None:
    value = entity({"Type": "AWS::Thing", "Colour": "red"}, Attributes={"k": ""})
    assert [p.kind for p in entity_problems(value, PATH)] == [
        "InvalidKeyAttributes",  # the unknown key
        "InvalidTypeValue",
        "InvalidAttributes",
    ]


def test_a_type_of_bad_length_is_reported_once() -> None:
    problems = entity_problems(entity({**RESOURCE, "Type": ""}), PATH)
    assert problems == [
        EntityProblem(
            "InvalidKeyAttributes",
            f"The value of {KA}.Type must be from 1 to 2048 characters long.",
        )
    ]


def test_a_long_unknown_key_is_shortened_in_the_message() -> None:
    (problem,) = entity_problems(entity({**SERVICE, "x" * 3000: "v"}), PATH)[:1]
    assert len(problem.message) < 300
    assert "x" * 64 + "..." in problem.message


def test_at_most_two_entries() -> None:
    assert entry_count_problems([{}, {}]) == []
    assert entry_count_problems([{}, {}, {}]) == [
        EntityProblem(
            "EntitySizeTooLarge",
            "The collection EntityMetricData must not have a size greater than 2.",
        )
    ]


def test_no_problem_no_failure() -> None:
    assert first_failure([]) is None
