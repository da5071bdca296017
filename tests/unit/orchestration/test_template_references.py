"""validate_references / validate_template: problems found before any resource exists."""

from __future__ import annotations

import pytest

from models.orchestration.templates import (
    Template,
    TemplateError,
    parse_template,
    reference_errors,
    validate_references,
    validate_template,
)

pytestmark = pytest.mark.unit

HEAD = """
Parameters:
  KeyName: {Type: String}
  Subnets: {Type: CommaDelimitedList, Default: "a,b"}
Mappings:
  RegionMap:
    RegionOne: {Ami: ami-1}
Conditions:
  IsProd: !Equals [!Ref KeyName, prod]
Resources:
  Handle: {Type: AWS::CloudFormation::WaitConditionHandle}
  Db: {Type: AWS::RDS::DBInstance}
"""


def template_with(web_properties: str, extra: str = "") -> Template:
    return parse_template(
        HEAD
        + "  WebServer:\n    Type: AWS::EC2::Instance\n    Properties:\n"
        + "".join(f"      {line}\n" for line in web_properties.strip().splitlines())
        + extra
    )


def test_a_correct_template_passes() -> None:
    template = template_with(
        """
KeyName: !Ref KeyName
ImageId: !FindInMap [RegionMap, !Ref "AWS::Region", Ami]
SubnetId: !Select [0, !Ref Subnets]
UserData: !Base64 {"Fn::Join": ["", [!Ref Handle, !GetAtt Db.Endpoint.Address]]}
Name: !Sub "${AWS::StackName}-${KeyName}-${Db}-${Db.Endpoint.Port}-${!Lit}"
Other: !Sub ["${Own}", {Own: !Ref Handle}]
Size: !If [IsProd, big, !Ref AWS::NoValue]
Zone: !Select [0, !GetAZs ""]
Parts: !Split [",", !Join [",", !Ref Subnets]]
"""
    )
    assert reference_errors(template) == []
    validate_template(template)


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            "ImageId: !Ref Foo",
            'Resource "WebServer": property "ImageId": Ref to unknown parameter or resource "Foo"',
        ),
        (
            "ImageId: !Ref AWS::Bogus",
            'Resource "WebServer": property "ImageId": Ref to unknown parameter or resource '
            '"AWS::Bogus"',
        ),
        (
            "Tags: [{Key: a, Value: !Ref Foo}]",
            'Resource "WebServer": property "Tags[0].Value": Ref to unknown',
        ),
        (
            "UserData: !Base64 {'Fn::Join': ['', [a, !GetAtt Ghost.Ip]]}",
            'Resource "WebServer": property "UserData": Fn::GetAtt on unknown resource "Ghost"',
        ),
        (
            "Name: !Sub '${Missing}'",
            'Resource "WebServer": property "Name": Fn::Sub variable "Missing" refers to unknown',
        ),
        (
            "Name: !Sub '${Ghost.Attr}'",
            'property "Name": Fn::Sub variable "Ghost.Attr" refers to unknown resource "Ghost"',
        ),
        ("Name: !Sub '${AWS::NoValue}'", "Fn::Sub cannot use AWS::NoValue"),
        ("Name: !Sub '${}'", 'property "Name": Fn::Sub has an empty variable'),
        (
            "ImageId: !FindInMap [Nope, RegionOne, Ami]",
            'property "ImageId": Fn::FindInMap: unknown mapping "Nope"',
        ),
        ("ImageId: !FindInMap [RegionMap, Nowhere, Ami]", 'has no key "Nowhere"'),
        ("ImageId: !FindInMap [RegionMap, RegionOne, Arch]", 'key "RegionOne" has no key "Arch"'),
        ("Size: !If [Nope, a, b]", 'property "Size": Fn::If: unknown condition "Nope"'),
        ("Size: !If [IsProd, a]", 'property "Size": Fn::If takes'),
        ("Size: !Equals [a, b]", 'property "Size": Fn::Equals can only be used in condition'),
        ("Vpc: !ImportValue Shared", 'property "Vpc": Fn::ImportValue is not supported'),
        ("Vpc: {'Fn::Nope': 1}", 'property "Vpc": Unknown function Fn::Nope'),
        ("Vpc: {Ref: KeyName, Extra: 1}", 'property "Vpc": Ref must be the only key'),
        ("Deep: {A: [{B: !Ref Foo}]}", 'property "Deep.A[0].B": Ref to unknown'),
    ],
)
def test_reference_errors_name_resource_and_property(properties: str, message: str) -> None:
    template = template_with(properties)
    with pytest.raises(TemplateError) as caught:
        validate_references(template)
    assert message in caught.value.message


def test_metadata_and_outputs_are_checked() -> None:
    template = template_with(
        "ImageId: ami",
        extra="""    Metadata:
      Init: {Url: !Ref Nope}
Outputs:
  Ip: {Value: !GetAtt Ghost.PublicIp}
  Url: {Value: [!Sub "${Missing}"]}
""",
    )
    assert [error.message for error in reference_errors(template)] == [
        'Resource "WebServer": Metadata "Init.Url": Ref to unknown parameter or resource "Nope"',
        'Output "Ip": Value: Fn::GetAtt on unknown resource "Ghost"',
        'Output "Url": Value "[0]": Fn::Sub variable "Missing" refers to unknown parameter or '
        'resource "Missing"',
    ]


def test_every_problem_is_listed_in_template_order() -> None:
    template = template_with("A: !Ref One\nB: !GetAtt Two.X\nC: {Tags: [!Ref Three]}")
    assert [error.message for error in reference_errors(template)] == [
        'Resource "WebServer": property "A": Ref to unknown parameter or resource "One"',
        'Resource "WebServer": property "B": Fn::GetAtt on unknown resource "Two"',
        'Resource "WebServer": property "C.Tags[0]": Ref to unknown parameter or resource "Three"',
    ]
    with pytest.raises(TemplateError, match='"One"'):
        validate_references(template)


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ("  C: !Equals [!Ref Nope, a]", 'Condition "C": Ref to unknown parameter or resource'),
        ("  C: !Equals [!Ref Db, a]", 'Condition "C": Ref to resource "Db": conditions cannot'),
        ("  C: !Equals [!GetAtt Db.X, a]", 'Condition "C": Fn::GetAtt cannot be used in cond'),
        ("  C: !Equals [!Sub '${Db}', a]", 'refers to resource "Db": conditions cannot use'),
        ("  C: !Equals [!Sub '${Db.X}', a]", "Fn::GetAtt cannot be used in conditions"),
        ("  C: !Condition Nope", 'Condition "C": unknown condition "Nope"'),
        ("  C: !Not [!Condition Nope]", 'Condition "C": unknown condition "Nope"'),
        ("  C: !Condition [x]", "Condition takes the name of a condition"),
        ("  C: !Ref KeyName", 'Condition "C": Ref must be a condition'),
        ("  C: yes", 'Condition "C": must be a condition'),
        ("  C: !Not [a, b]", r"Fn::Not takes \[condition\]"),
        ("  C: !Equals [{Ref: X, Y: 1}, a]", "Ref must be the only key"),
        ("  C: {Condition: A, Other: 1}", "Condition must be the only key"),
        (
            "  A: !Condition B\n  B: !And [!Condition C, !Equals [a, a]]\n  C: !Condition A",
            'Condition "A": conditions refer to each other in a cycle: A -> B -> C -> A',
        ),
    ],
)
def test_condition_errors(conditions: str, message: str) -> None:
    template = parse_template(
        HEAD.replace("  IsProd: !Equals [!Ref KeyName, prod]\n", conditions + "\n")
    )
    with pytest.raises(TemplateError, match=message):
        validate_references(template)


def test_names_computed_by_functions_are_left_for_resolve_time() -> None:
    template = template_with(
        "A: !FindInMap [!Ref KeyName, RegionOne, Ami]\n"
        "B: !FindInMap [RegionMap, !Ref KeyName, Ami]\n"
        "C: !FindInMap [RegionMap, RegionOne, !Ref KeyName]"
    )
    assert reference_errors(template) == []


def test_attribute_check_from_the_engine() -> None:
    known = {("AWS::RDS::DBInstance", "Endpoint.Address")}

    def attribute_exists(resource_type: str, attribute: str) -> bool:
        return (resource_type, attribute) in known

    good = template_with("A: !GetAtt Db.Endpoint.Address\nB: !Sub '${Db.Endpoint.Address}'")
    validate_references(good, attribute_exists=attribute_exists)
    for bad in ("A: !GetAtt Db.Port", "B: !Sub '${Db.Port}'"):
        with pytest.raises(
            TemplateError,
            match=r'Fn::GetAtt: resource "Db" \(AWS::RDS::DBInstance\) has no attribute "Port"',
        ):
            validate_references(template_with(bad), attribute_exists=attribute_exists)
    # An attribute name computed by a function cannot be checked statically.
    validate_references(
        template_with("A: !GetAtt [Db, !Ref KeyName]"), attribute_exists=attribute_exists
    )


def test_validate_template_finds_cycles() -> None:
    template = template_with(
        "A: !GetAtt Db.Endpoint.Address",
        extra="  Loop1: {Type: T, Properties: {P: !Ref Loop2}}\n"
        "  Loop2: {Type: T, DependsOn: Loop1}\n",
    )
    validate_references(template)
    with pytest.raises(TemplateError, match="Circular dependency between resources: Loop1 -> Lo"):
        validate_template(template)
