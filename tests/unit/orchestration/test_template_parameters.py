"""Parameter declarations, values with every constraint, NoEcho, and pseudo parameters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models.orchestration.templates import (
    MASK,
    ParameterDef,
    ParameterError,
    Template,
    TemplateError,
    parse_template,
    pseudo_parameters,
    resolve_parameters,
)

pytestmark = pytest.mark.unit


def template_with(**parameters: dict[str, Any]) -> Template:
    return parse_template(json.dumps({"Parameters": parameters, "Resources": {"R": {"Type": "T"}}}))


def value(declaration: dict[str, Any], given: Any) -> Any:
    template = template_with(P=declaration)
    return resolve_parameters(template, {} if given is None else {"P": given}).values["P"]


# --- Declarations --------------------------------------------------------------------------------


def test_declaration_fields() -> None:
    template = template_with(
        Size={
            "Type": "Number",
            "Default": 2,
            "MinValue": "1",
            "MaxValue": 10,
            "AllowedValues": [1, 2, "4"],
            "Description": "How many",
            "ConstraintDescription": "1, 2 or 4",
            "NoEcho": "True",
        }
    )
    assert template.parameters["Size"] == ParameterDef(
        name="Size",
        type="Number",
        base_type="Number",
        default="2",
        allowed_values=("1", "2", "4"),
        min_value=1.0,
        max_value=10.0,
        no_echo=True,
        description="How many",
        constraint_description="1, 2 or 4",
    )


@pytest.mark.parametrize(
    ("declared", "base_type", "is_list", "is_number"),
    [
        ("String", "String", False, False),
        ("Number", "Number", False, True),
        ("CommaDelimitedList", "CommaDelimitedList", True, False),
        ("List<Number>", "List<Number>", True, True),
        ("AWS::EC2::KeyPair::KeyName", "String", False, False),
        ("AWS::EC2::Image::Id", "String", False, False),
        ("AWS::EC2::AvailabilityZone::Name", "String", False, False),
        ("List<AWS::EC2::Subnet::Id>", "CommaDelimitedList", True, False),
        ("List<AWS::EC2::SecurityGroup::Id>", "CommaDelimitedList", True, False),
    ],
)
def test_types(declared: str, base_type: str, is_list: bool, is_number: bool) -> None:
    definition = template_with(P={"Type": declared}).parameters["P"]
    assert (definition.type, definition.base_type) == (declared, base_type)
    assert (definition.is_list, definition.is_number) == (is_list, is_number)


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ("String", 'Parameter "P": must be a mapping'),
        ({}, 'Parameter "P": Type is required'),
        ({"Type": "Integer"}, 'Parameter "P": unknown Type "Integer"'),
        ({"Type": "List<String>"}, 'unknown Type "List<String>"'),
        ({"Type": "AWS::SSM::Parameter::Value<String>"}, "is not supported"),
        ({"Type": "List<AWS::SSM::Parameter::Name>"}, "is not supported"),
        ({"Type": "String", "Min": 1}, 'Parameter "P": unknown attribute "Min"'),
        ({"Type": "String", "MinValue": 1}, "MinValue does not apply to Type String"),
        ({"Type": "Number", "AllowedPattern": "."}, "AllowedPattern does not apply to Type Num"),
        ({"Type": "Number", "MaxLength": 3}, "MaxLength does not apply to Type Number"),
        ({"Type": "String", "AllowedValues": []}, "AllowedValues must be a non-empty list"),
        ({"Type": "String", "AllowedValues": "a"}, "AllowedValues must be a non-empty list"),
        ({"Type": "String", "AllowedValues": [["a"]]}, "AllowedValues must be a non-empty"),
        ({"Type": "Number", "AllowedValues": ["one"]}, "AllowedValues must all be numbers"),
        ({"Type": "String", "AllowedPattern": "("}, "AllowedPattern is not a valid pattern"),
        ({"Type": "String", "AllowedPattern": 1}, "AllowedPattern must be a string"),
        ({"Type": "String", "MinLength": -1}, "MinLength must be a non-negative integer"),
        ({"Type": "String", "MinLength": "x"}, "MinLength must be a non-negative integer"),
        ({"Type": "String", "MaxLength": True}, "MaxLength must be a non-negative integer"),
        ({"Type": "String", "MaxLength": 1.5}, "MaxLength must be a non-negative integer"),
        ({"Type": "Number", "MinValue": "low"}, "MinValue must be a number"),
        ({"Type": "Number", "MaxValue": "inf"}, "MaxValue must be a number"),
        ({"Type": "String", "MinLength": 3, "MaxLength": 2}, "MinLength is greater than MaxL"),
        ({"Type": "Number", "MinValue": 3, "MaxValue": 2}, "MinValue is greater than MaxValue"),
        ({"Type": "String", "NoEcho": "yes"}, "NoEcho must be true or false"),
        ({"Type": "String", "Description": 1}, "Description must be a string"),
        ({"Type": "String", "ConstraintDescription": []}, "ConstraintDescription must be a"),
        ({"Type": "String", "Default": ["a"]}, 'Parameter "P": Default must be a string'),
        (
            {"Type": "String", "Default": "c", "AllowedValues": ["a", "b"]},
            'Parameter "P": Default value must be one of AllowedValues: a, b',
        ),
        ({"Type": "Number", "Default": "ten"}, 'Parameter "P": Default value must be a number'),
        (
            {"Type": "List<Number>", "Default": "1,x"},
            "Default value item 2 must be a number",
        ),
    ],
)
def test_bad_declarations(declaration: Any, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("(", r"\(")):
        template_with(P=declaration)


def test_parameter_count_limit() -> None:
    parameters = {f"P{i}": {"Type": "String"} for i in range(201)}
    with pytest.raises(TemplateError, match="Parameters may declare at most 200 entries"):
        template_with(**parameters)


# --- Values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declaration", "given", "expected"),
    [
        ({"Type": "String"}, "hello", "hello"),
        ({"Type": "String"}, "", ""),
        ({"Type": "String", "Default": "d"}, None, "d"),
        ({"Type": "String", "Default": 5}, None, "5"),
        ({"Type": "String", "Default": True}, None, "true"),
        ({"Type": "String", "Default": "d"}, "given", "given"),
        ({"Type": "Number"}, "42", "42"),
        ({"Type": "Number"}, "-1.5", "-1.5"),
        ({"Type": "Number"}, "1e3", "1e3"),
        ({"Type": "Number"}, " 7 ", "7"),
        ({"Type": "Number"}, 7, "7"),  # JSON bodies may carry numbers
        ({"Type": "Number", "Default": 3}, None, "3"),  # Ref gives text, as in CloudFormation
        ({"Type": "CommaDelimitedList"}, "a,b,c", ("a", "b", "c")),
        ({"Type": "CommaDelimitedList"}, " a , b ", ("a", "b")),
        ({"Type": "CommaDelimitedList"}, "", ()),
        ({"Type": "CommaDelimitedList"}, "a,,b", ("a", "", "b")),
        ({"Type": "CommaDelimitedList"}, ["x", "y"], ("x", "y")),
        ({"Type": "CommaDelimitedList", "Default": "p,q"}, None, ("p", "q")),
        ({"Type": "List<Number>"}, "1, 2.5", ("1", "2.5")),
        ({"Type": "List<AWS::EC2::Subnet::Id>"}, "subnet-1,subnet-2", ("subnet-1", "subnet-2")),
        ({"Type": "AWS::EC2::KeyPair::KeyName"}, "my-key", "my-key"),
        ({"Type": "String", "AllowedValues": ["a", "b"]}, "b", "b"),
        ({"Type": "String", "AllowedPattern": "[a-z]+"}, "abc", "abc"),
        ({"Type": "String", "MinLength": 2, "MaxLength": "3"}, "abc", "abc"),
        ({"Type": "String", "MinLength": 2, "MaxLength": 3}, "ab", "ab"),
        ({"Type": "Number", "MinValue": 1, "MaxValue": 5}, "5", "5"),
        ({"Type": "Number", "MinValue": 1, "MaxValue": 5}, "1.0", "1.0"),
        ({"Type": "Number", "AllowedValues": [1, 2]}, "2.0", "2.0"),  # compared as numbers
        ({"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]}, "a,b,a", ("a", "b", "a")),
        ({"Type": "List<Number>", "MaxValue": 3}, "1,3", ("1", "3")),
    ],
)
def test_accepted_values(declaration: dict[str, Any], given: Any, expected: Any) -> None:
    assert value(declaration, given) == expected


@pytest.mark.parametrize(
    ("declaration", "given", "message"),
    [
        ({"Type": "Number"}, "ten", 'Parameter "P" must be a number'),
        ({"Type": "Number"}, "", 'Parameter "P" must be a number'),
        ({"Type": "Number"}, "nan", "must be a number"),
        ({"Type": "Number"}, "1_000", "must be a number"),
        ({"Type": "Number"}, "0x10", "must be a number"),
        ({"Type": "String"}, ["a"], 'Parameter "P" must be a string'),
        ({"Type": "String"}, {"a": 1}, 'Parameter "P" must be a string'),
        ({"Type": "CommaDelimitedList"}, ["a,b", "c"], 'Parameter "P" must be a string'),
        (
            {"Type": "String", "AllowedValues": ["a", "b"]},
            "c",
            "must be one of AllowedValues: a, b",
        ),
        ({"Type": "String", "AllowedValues": ["a"]}, "A", "must be one of AllowedValues: a"),
        ({"Type": "String", "AllowedPattern": "[a-z]+"}, "abc1", 'must match the pattern "\\[a-z'),
        # The pattern must match the whole value, not a prefix (re.fullmatch).
        ({"Type": "String", "AllowedPattern": "[a-z]+"}, "1abc", "must match the pattern"),
        ({"Type": "String", "MinLength": 2}, "a", "must be at least 2 characters long"),
        ({"Type": "String", "MaxLength": 2}, "abc", "must be at most 2 characters long"),
        ({"Type": "Number", "MinValue": 1}, "0.5", 'Parameter "P" must be at least 1'),
        ({"Type": "Number", "MaxValue": 2.5}, "3", 'Parameter "P" must be at most 2.5'),
        ({"Type": "Number", "AllowedValues": [1, 2]}, "3", "must be one of AllowedValues: 1, 2"),
        (
            {"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]},
            "a,c",
            'Parameter "P" item 2 must be one of AllowedValues',
        ),
        ({"Type": "List<Number>"}, "1,two", 'Parameter "P" item 2 must be a number'),
        ({"Type": "List<Number>", "MinValue": 0}, "-1", "item 1 must be at least 0"),
        (
            {"Type": "String", "MinLength": 8, "ConstraintDescription": "at least 8 characters"},
            "short",
            'Parameter "P" failed to satisfy constraint: at least 8 characters',
        ),
    ],
)
def test_rejected_values(declaration: dict[str, Any], given: Any, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        value(declaration, given)


def test_missing_value_without_default() -> None:
    template = template_with(KeyName={"Type": "String"}, Size={"Type": "Number", "Default": 1})
    with pytest.raises(ParameterError, match=r"^The Parameter \(KeyName\) was not provided\.$"):
        resolve_parameters(template, {"Size": "2"})


@pytest.mark.parametrize("name", ["Unknown", "AWS::Region", "p"])
def test_unknown_given_names(name: str) -> None:
    template = template_with(P={"Type": "String", "Default": "x"})
    with pytest.raises(ParameterError, match=rf"^The Parameter \({name}\) was not defined"):
        resolve_parameters(template, {name: "v"})


def test_parameter_errors_are_template_errors() -> None:
    assert issubclass(ParameterError, TemplateError)


def test_existing_values_come_between_given_and_default() -> None:
    template = template_with(
        A={"Type": "String", "Default": "default-a"},
        B={"Type": "String", "Default": "default-b"},
        C={"Type": "String", "Default": "default-c"},
        D={"Type": "String"},
    )
    resolved = resolve_parameters(
        template,
        {"A": "given-a"},
        existing={"A": "old-a", "B": "old-b", "D": "old-d", "Gone": "dropped"},
    )
    assert resolved.values == {"A": "given-a", "B": "old-b", "C": "default-c", "D": "old-d"}
    assert resolved.raw == resolved.values


def test_existing_values_are_checked_against_the_new_template() -> None:
    template = template_with(N={"Type": "Number", "MaxValue": 5})
    with pytest.raises(ParameterError, match='Parameter "N" must be at most 5'):
        resolve_parameters(template, {}, existing={"N": "9"})


def test_no_echo_values_are_masked_for_display_and_kept_out_of_errors() -> None:
    template = template_with(
        DbPassword={"Type": "String", "NoEcho": True, "MinLength": 8},
        DbUser={"Type": "String", "NoEcho": "false"},
        Subnets={"Type": "CommaDelimitedList"},
    )
    resolved = resolve_parameters(
        template, {"DbPassword": "s3cretpassword", "DbUser": "admin", "Subnets": "a,b"}
    )
    assert resolved.no_echo == frozenset({"DbPassword"})
    assert resolved.values["DbPassword"] == "s3cretpassword"
    assert resolved.raw == {"DbPassword": "s3cretpassword", "DbUser": "admin", "Subnets": "a,b"}
    assert resolved.for_display() == {"DbPassword": MASK, "DbUser": "admin", "Subnets": "a,b"}
    assert MASK == "******"
    with pytest.raises(ParameterError) as caught:
        resolve_parameters(template, {"DbPassword": "tiny", "DbUser": "x", "Subnets": ""})
    assert "tiny" not in caught.value.message


# --- Pseudo parameters ---------------------------------------------------------------------------


def test_pseudo_parameters() -> None:
    assert pseudo_parameters(
        stack_name="web", stack_id="arn:stack/web/1", region="RegionOne", account_id="tenant"
    ) == {
        "AWS::AccountId": "tenant",
        "AWS::NotificationARNs": (),
        "AWS::Partition": "aws",
        "AWS::Region": "RegionOne",
        "AWS::StackId": "arn:stack/web/1",
        "AWS::StackName": "web",
        "AWS::URLSuffix": "amazonaws.com",
    }
    assert pseudo_parameters(
        stack_name="s", stack_id="i", region="r", account_id="a", notification_arns=["arn:1"]
    )["AWS::NotificationARNs"] == ("arn:1",)
