"""parse_template: sections, resources, outputs, and what is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models.orchestration.templates import (
    OutputDef,
    ResourceDef,
    TemplateError,
    parse_document,
    parse_template,
)
from models.orchestration.templates.parsing import MAX_RESOURCES

pytestmark = pytest.mark.unit

MINIMAL = {"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}


def with_sections(**sections: Any) -> str:
    return json.dumps({**MINIMAL, **sections})


def test_minimal_template() -> None:
    template = parse_template(json.dumps(MINIMAL))
    assert template.version is None
    assert template.description is None
    assert template.parameters == {}
    assert template.outputs == {}
    assert template.resources == {
        "Handle": ResourceDef(name="Handle", type="AWS::CloudFormation::WaitConditionHandle")
    }


def test_full_resource_in_yaml() -> None:
    template = parse_template(
        """
AWSTemplateFormatVersion: "2010-09-09"
Description: A web server
Metadata: {Author: me}
Conditions:
  Always: !Equals [a, a]
Resources:
  Sg: {Type: AWS::EC2::SecurityGroup}
  Vol: {Type: AWS::EC2::Volume}
  Web:
    Type: AWS::EC2::Instance
    Condition: Always
    DependsOn: [Sg, Vol, Sg]
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Metadata:
      AWS::CloudFormation::Init: {config: {}}
    CreationPolicy: {ResourceSignal: {Count: 1}}
    UpdatePolicy: {AutoScalingRollingUpdate: {MinInstancesInService: 1}}
    Properties:
      ImageId: ami-1
      SecurityGroups: [!Ref Sg]
"""
    )
    assert template.version == "2010-09-09"
    assert template.description == "A web server"
    assert template.metadata == {"Author": "me"}
    web = template.resources["Web"]
    assert web == ResourceDef(
        name="Web",
        type="AWS::EC2::Instance",
        properties={"ImageId": "ami-1", "SecurityGroups": [{"Ref": "Sg"}]},
        depends_on=("Sg", "Vol"),  # duplicates dropped, order kept
        metadata={"AWS::CloudFormation::Init": {"config": {}}},
        condition="Always",
        deletion_policy="Retain",
        update_replace_policy="Retain",
        update_policy={"AutoScalingRollingUpdate": {"MinInstancesInService": 1}},
        creation_policy={"ResourceSignal": {"Count": 1}},
    )
    assert list(template.resources) == ["Sg", "Vol", "Web"]  # template order kept


def test_depends_on_may_be_a_single_name() -> None:
    template = parse_template(
        json.dumps({"Resources": {"A": {"Type": "T"}, "B": {"Type": "T", "DependsOn": "A"}}})
    )
    assert template.resources["B"].depends_on == ("A",)


def test_outputs() -> None:
    template = parse_template(
        with_sections(
            Conditions={"C": {"Fn::Equals": ["a", "b"]}},
            Outputs={
                "Url": {"Value": {"Ref": "Handle"}, "Description": "Where", "Condition": "C"},
                "Plain": {"Value": "x"},
            },
        )
    )
    assert template.outputs == {
        "Url": OutputDef(name="Url", value={"Ref": "Handle"}, description="Where", condition="C"),
        "Plain": OutputDef(name="Plain", value="x"),
    }


def test_mappings_keys_become_text() -> None:
    template = parse_template(
        "Mappings:\n  Arch:\n    64: {Ami: a}\n    t1.micro: {Arch: 64}\n"
        "Resources:\n  A: {Type: T}\n"
    )
    assert template.mappings == {"Arch": {"64": {"Ami": "a"}, "t1.micro": {"Arch": 64}}}


def test_document_round_trips_through_json() -> None:
    text = """
Parameters:
  P: {Type: String, Default: x}
Resources:
  A: {Type: T, Properties: {V: !Sub "${P}", W: !GetAtt B.C}}
  B: {Type: T}
"""
    template = parse_template(text)
    again = parse_document(json.loads(json.dumps(template.document)))
    assert again == template


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "Template must have a Resources section"),
        ({"Resources": {}}, "Resources must declare at least one resource"),
        ({"Resources": []}, "Section Resources must be a mapping"),
        ({**MINIMAL, "Outputs": []}, "Section Outputs must be a mapping"),
        ({**MINIMAL, "Bogus": {}}, 'Unknown template section "Bogus"'),
        ({**MINIMAL, "HeatTemplateFormatVersion": "2012-12-12"}, "Unknown template section"),
        ({**MINIMAL, "Transform": "AWS::Serverless-2016-10-31"}, "Section Transform is not"),
        ({**MINIMAL, "Rules": {}}, "Section Rules is not supported"),
        ({**MINIMAL, "AWSTemplateFormatVersion": "2011-01-01"}, 'must be "2010-09-09"'),
        ({**MINIMAL, "Description": ["x"]}, "Description must be a string"),
        ({**MINIMAL, "Description": "x" * 1025}, "Description exceeds 1024 bytes"),
        ({**MINIMAL, "Metadata": "x"}, "Metadata must be a mapping"),
        ({"Resources": {"Web-1": {"Type": "T"}}}, 'name "Web-1" must be alphanumeric'),
        ({"Resources": {"A": {"Type": "T"}}, "Parameters": {"a_b": {}}}, 'name "a_b" must be'),
        ({"Resources": {"A": "T"}}, 'Resource "A" must be a mapping'),
        ({"Resources": {"A": {}}}, 'Resource "A": Type is required and must be a string'),
        ({"Resources": {"A": {"Type": 3}}}, 'Resource "A": Type is required'),
        ({"Resources": {"A": {"Type": "T", "Props": {}}}}, 'Resource "A": unknown attribute "Pr'),
        ({"Resources": {"A": {"Type": "T", "Properties": []}}}, "Properties must be a mapping"),
        ({"Resources": {"A": {"Type": "T", "Metadata": "m"}}}, "Metadata must be a mapping"),
        (
            {"Resources": {"A": {"Type": "T", "DependsOn": "B"}}},
            'Resource "A": DependsOn: unknown resource "B"',
        ),
        (
            {"Resources": {"A": {"Type": "T", "DependsOn": "A"}}},
            'Resource "A": DependsOn: a resource cannot depend on itself',
        ),
        (
            {"Resources": {"A": {"Type": "T", "DependsOn": {"B": 1}}}},
            'Resource "A": DependsOn: must be a resource name or a list of them',
        ),
        (
            {"Resources": {"A": {"Type": "T", "Condition": "Nope"}}},
            'Resource "A": Condition names unknown condition "Nope"',
        ),
        (
            {"Resources": {"A": {"Type": "T", "Condition": ["C"]}}},
            'Resource "A": Condition must be the name of a condition',
        ),
        (
            {"Resources": {"A": {"Type": "T", "DeletionPolicy": "Snapshot"}}},
            'Resource "A": DeletionPolicy must be "Delete" or "Retain" \\(Snapshot is not',
        ),
        (
            {"Resources": {"A": {"Type": "T", "UpdateReplacePolicy": "Keep"}}},
            "UpdateReplacePolicy must be",
        ),
        ({**MINIMAL, "Outputs": {"O": {}}}, 'Output "O": Value is required'),
        ({**MINIMAL, "Outputs": {"O": "x"}}, 'Output "O": must be a mapping'),
        ({**MINIMAL, "Outputs": {"O": {"Value": 1, "Note": 2}}}, 'unknown attribute "Note"'),
        (
            {**MINIMAL, "Outputs": {"O": {"Value": 1, "Description": {"Ref": "X"}}}},
            'Output "O": Description must be a string',
        ),
        (
            {**MINIMAL, "Outputs": {"O": {"Value": 1, "Condition": "C"}}},
            'Output "O": Condition names unknown condition "C"',
        ),
        (
            {**MINIMAL, "Outputs": {"O": {"Value": 1, "Export": {"Name": "x"}}}},
            'Output "O": Export is not supported',
        ),
        ({**MINIMAL, "Mappings": {"M": {}}}, 'Mapping "M" must be a non-empty mapping'),
        ({**MINIMAL, "Mappings": {"M": {"k": "v"}}}, 'Mapping "M": key "k" must map to a'),
        (
            {"Resources": {"A": {"Type": "T"}}, "Parameters": {"A": {"Type": "String"}}},
            '"A" is both a parameter and a resource',
        ),
    ],
)
def test_structural_errors(document: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        parse_template(json.dumps(document))


def test_resource_count_limit() -> None:
    resources = {f"R{i}": {"Type": "T"} for i in range(MAX_RESOURCES)}
    assert len(parse_template(json.dumps({"Resources": resources})).resources) == MAX_RESOURCES
    resources["Extra"] = {"Type": "T"}
    with pytest.raises(TemplateError, match="Resources may declare at most 500 entries"):
        parse_template(json.dumps({"Resources": resources}))


def test_parse_document_rejects_non_mappings() -> None:
    with pytest.raises(TemplateError, match="Template must be a mapping"):
        parse_document([])  # type: ignore[arg-type]
