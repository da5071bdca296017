"""resolve(): every intrinsic function, nested calls, AWS::NoValue, and error places."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest

from models.orchestration.templates import (
    NO_VALUE,
    StackContext,
    TemplateError,
    evaluate_conditions,
    load_document,
    parse_template,
    pseudo_parameters,
    resolve,
    resolve_metadata,
    resolve_parameters,
    resolve_properties,
)

pytestmark = pytest.mark.unit

TEMPLATE = """
Parameters:
  Env: {Type: String, Default: prod}
  Size: {Type: Number, Default: 3}
  Subnets: {Type: CommaDelimitedList, Default: "subnet-a,subnet-b,subnet-c"}
  Ports: {Type: List<Number>, Default: "80,443"}
Mappings:
  RegionMap:
    RegionOne: {Ami: ami-one, Zones: [z1, z2]}
    "64": {Ami: ami-64}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
Resources:
  Handle: {Type: AWS::CloudFormation::WaitConditionHandle}
  Db: {Type: AWS::RDS::DBInstance}
  Web:
    Type: AWS::EC2::Instance
    Metadata:
      Wait: !Ref Handle
      Self: !Ref Web
    Properties:
      ImageId: !FindInMap [RegionMap, !Ref "AWS::Region", Ami]
      Tags:
        - {Key: Name, Value: !Sub "${AWS::StackName}-web"}
        - {Key: Bad, Value: !GetAtt Db.Nope}
"""


def make_context(**overrides: Any) -> StackContext:
    template = parse_template(TEMPLATE)
    context = StackContext(
        template=template,
        parameters=resolve_parameters(template, {}).values,
        pseudo_parameters=pseudo_parameters(
            stack_name="teststack",
            stack_id="arn:heat:stack/teststack/42",
            region="RegionOne",
            account_id="tenant1",
        ),
        resource_refs={"Handle": "https://signal/handle", "Db": "db-1", "Web": "i-123"},
        resource_attributes={
            "Db": {"Endpoint.Address": "10.0.0.5", "Endpoint.Port": 3306, "Empty": None},
            "Web": {"PublicIp": "192.0.2.1", "Networks": ["net1", "net2"]},
        },
    )
    context = replace(context, conditions=evaluate_conditions(template, context))
    return replace(context, **overrides)


def run(yaml_value: str, **overrides: Any) -> Any:
    return resolve(load_document(f"V: {yaml_value}\n")["V"], make_context(**overrides))


# --- Each function -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Plain data passes through as a new structure.
        ("plain", "plain"),
        ("42", 42),
        ("[a, {b: c}]", ["a", {"b": "c"}]),
        # Ref: parameters (Number as text, lists as lists), pseudo parameters, resources.
        ("!Ref Env", "prod"),
        ("!Ref Size", "3"),
        ("!Ref Subnets", ["subnet-a", "subnet-b", "subnet-c"]),
        ("!Ref Ports", ["80", "443"]),
        ("!Ref AWS::StackName", "teststack"),
        ("!Ref AWS::StackId", "arn:heat:stack/teststack/42"),
        ("!Ref AWS::Region", "RegionOne"),
        ("!Ref AWS::AccountId", "tenant1"),
        ("!Ref AWS::URLSuffix", "amazonaws.com"),
        ("!Ref AWS::NotificationARNs", []),
        ("!Ref Handle", "https://signal/handle"),
        # Fn::GetAtt, both forms, with nested attribute names and any value type.
        ("!GetAtt Db.Endpoint.Address", "10.0.0.5"),
        ("{'Fn::GetAtt': [Db, Endpoint.Port]}", 3306),
        ("{'Fn::GetAtt': Web.PublicIp}", "192.0.2.1"),
        ("!GetAtt Web.Networks", ["net1", "net2"]),
        # The attribute name may itself come from a function.
        ("!GetAtt [Web, !Join ['', [Public, Ip]]]", "192.0.2.1"),
        # Fn::Join
        ("!Join ['', [a, b, c]]", "abc"),
        ("!Join [', ', [!Ref Env, !Ref Size, !GetAtt Db.Endpoint.Address]]", "prod, 3, 10.0.0.5"),
        ("!Join [',', !Ref Subnets]", "subnet-a,subnet-b,subnet-c"),
        ("!Join ['-', []]", ""),
        ("!Join ['', [1, true, 2.5]]", "1true2.5"),
        ("!Join ['', [a, !GetAtt Db.Empty, b]]", "ab"),  # a None attribute is "" (Heat)
        ("!Join ['', [a, !Ref AWS::NoValue, b]]", "ab"),
        # Fn::Base64 really encodes.
        ("!Base64 hello", base64.b64encode(b"hello").decode()),
        ("!Base64 'héllo'", base64.b64encode("héllo".encode()).decode()),
        # Fn::Select
        ("!Select [1, [a, b, c]]", "b"),
        ("!Select ['2', !Ref Subnets]", "subnet-c"),
        ("!Select [!Ref Size, [a, b, c, d]]", "d"),
        ("!Select [0, !GetAZs '']", "RegionOnea"),
        ("!Select [1, !GetAtt Web.Networks]", "net2"),
        # Fn::Split
        ("!Split [',', 'a,b,,c']", ["a", "b", "", "c"]),
        ("!Split ['|', !Join ['|', [x, y]]]", ["x", "y"]),
        ("!Split [',', nothing]", ["nothing"]),
        # Fn::FindInMap, keys from functions, numeric keys, list values copied.
        ("!FindInMap [RegionMap, RegionOne, Ami]", "ami-one"),
        ("!FindInMap [RegionMap, !Ref 'AWS::Region', Zones]", ["z1", "z2"]),
        ("!FindInMap [RegionMap, 64, Ami]", "ami-64"),
        # Fn::GetAZs
        ("!GetAZs ''", ["RegionOnea"]),
        ("!GetAZs {Ref: AWS::Region}", ["RegionOnea"]),
        ("!GetAZs other", ["othera"]),
        # Fn::If with conditions, including AWS::NoValue.
        ("!If [IsProd, big, small]", "big"),
        ("!If [IsDev, big, small]", "small"),
        ("!If [IsDev, big, !Ref AWS::NoValue]", NO_VALUE),
        ("!If [IsProd, [!Ref Env], []]", ["prod"]),
        ("!Ref AWS::NoValue", NO_VALUE),
    ],
)
def test_functions(value: str, expected: Any) -> None:
    assert run(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!Sub 'plain text'", "plain text"),
        ("!Sub '${Env}-${Size}'", "prod-3"),
        ("!Sub '${AWS::StackName}.${AWS::Region}'", "teststack.RegionOne"),
        ("!Sub 'id=${Handle}'", "id=https://signal/handle"),
        ("!Sub 'db=${Db.Endpoint.Address}:${Db.Endpoint.Port}'", "db=10.0.0.5:3306"),
        ("!Sub '${!Literal} and ${!AWS::Region}'", "${Literal} and ${AWS::Region}"),
        ("!Sub 'cost $5, ${ Env }'", "cost $5, prod"),
        ("!Sub 'unclosed ${Env'", "unclosed ${Env"),
        ("!Sub ['${A}/${B}/${Env}', {A: x, B: !Ref Size}]", "x/3/prod"),
        # Sub's own variables win over parameters of the same name.
        ("!Sub ['${Env}', {Env: mine}]", "mine"),
        ("!Sub ['${Name}', {Name: !GetAtt Db.Endpoint.Address}]", "10.0.0.5"),
        ("!Sub ['${N}', {N: 5}]", "5"),
        ("!Sub ['${Db.Empty}x', {}]", "x"),
        (
            '!Sub "#!/bin/bash\\nexport X=${!X}\\necho ${AWS::StackName}\\n"',
            "#!/bin/bash\nexport X=${X}\necho teststack\n",
        ),
    ],
)
def test_sub(value: str, expected: str) -> None:
    assert run(value) == expected


def test_nested_functions() -> None:
    value = """
      !Base64
        Fn::Join:
          - ''
          - - "#!/bin/bash\\n"
            - !Sub "stack=${AWS::StackName}\\n"
            - !Join [',', !Split [';', !Join [';', [!Select [0, !Ref Subnets], !Ref Env]]]]
            - "\\n"
            - !If [IsProd, !FindInMap [RegionMap, !Ref 'AWS::Region', Ami], none]
    """
    result = run(value)
    assert base64.b64decode(result).decode() == (
        "#!/bin/bash\nstack=teststack\nsubnet-a,prod\nami-one"
    )


# --- AWS::NoValue --------------------------------------------------------------------------------


def test_no_value_is_a_named_sentinel() -> None:
    assert repr(NO_VALUE) == "NO_VALUE"
    assert NO_VALUE.value == "AWS::NoValue"


def test_no_value_removes_mapping_entries_and_list_items() -> None:
    value = load_document(
        """
V:
  Keep: 1
  Drop: !Ref AWS::NoValue
  DropIf: !If [IsDev, x, !Ref AWS::NoValue]
  Nested: {Inner: !Ref AWS::NoValue, Other: 2}
  List: [a, !Ref AWS::NoValue, !If [IsDev, b, !Ref AWS::NoValue], c]
"""
    )["V"]
    assert resolve(value, make_context()) == {
        "Keep": 1,
        "Nested": {"Other": 2},
        "List": ["a", "c"],
    }


def test_resolve_properties_drops_no_value_properties() -> None:
    template = parse_template(
        """
Conditions:
  Never: !Equals [a, b]
Resources:
  R:
    Type: T
    Properties:
      A: x
      B: !If [Never, y, !Ref AWS::NoValue]
"""
    )
    context = StackContext(template, {}, {}, conditions={"Never": False})
    assert resolve_properties(template.resources["R"], context) == {"A": "x"}


def test_resolving_does_not_change_the_template() -> None:
    context = make_context()
    before = repr(context.template.resources["Web"].properties)
    resolve_properties(replace(context.template.resources["Web"], properties={}), context)
    value = resolve(load_document("V: !FindInMap [RegionMap, RegionOne, Zones]")["V"], context)
    value.append("mutated")
    assert context.template.mappings["RegionMap"]["RegionOne"]["Zones"] == ["z1", "z2"]
    assert repr(context.template.resources["Web"].properties) == before


# --- Errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!Ref Nope", 'Ref to unknown parameter or resource "Nope"'),
        ("!Ref AWS::Nope", 'Ref to unknown pseudo parameter "AWS::Nope"'),
        ("{Ref: [a]}", "Ref takes the name of a parameter or resource"),
        ("!GetAtt Nope.Attr", 'Fn::GetAtt on unknown resource "Nope"'),
        ("!GetAtt Db.Nope", 'Resource "Db" has no attribute "Nope"'),
        ("{'Fn::GetAtt': [Db]}", r"Fn::GetAtt takes \[resource name, attribute name\]"),
        ("{'Fn::GetAtt': NoDot}", "Fn::GetAtt takes"),
        ("!Join ['', a]", "Fn::Join takes .*the values are not a list"),
        ("!Join ['', [[a]]]", "Fn::Join value 0 must be a string, not a list"),
        ("!Join ['', [{a: b}]]", "Fn::Join value 0 must be a string, not dict"),
        ("!Join [1, [a]]", r"Fn::Join takes \[delimiter, \[values\]\]"),
        ("!Join [',']", "Fn::Join takes"),
        ("!Base64 [a]", "Fn::Base64 value must be a string, not a list"),
        ("!Base64 {Ref: AWS::NoValue}", "Fn::Base64 value is AWS::NoValue"),
        ("!Select [3, [a, b]]", "Fn::Select index 3 is out of range for 2 values"),
        ("!Select [-1, [a, b]]", "Fn::Select index must be a non-negative integer"),
        ("!Select [x, [a, b]]", "Fn::Select index must be a non-negative integer"),
        ("!Select [true, [a, b]]", "Fn::Select index must be a non-negative integer"),
        ("!Select [0, abc]", "the values are not a list"),
        ("!Select [0]", r"Fn::Select takes \[index, \[values\]\]"),
        ("!Split ['', abc]", "Fn::Split takes .*non-empty delimiter"),
        ("!Split [',', [a]]", "Fn::Split source must be a string"),
        ("!FindInMap [Nope, a, b]", 'Fn::FindInMap: unknown mapping "Nope"'),
        ("!FindInMap [RegionMap, Nowhere, Ami]", 'mapping "RegionMap" has no key "Nowhere"'),
        ("!FindInMap [RegionMap, RegionOne, Nope]", 'key "RegionOne" has no key "Nope"'),
        ("!FindInMap [RegionMap, RegionOne]", "Fn::FindInMap takes"),
        ("!FindInMap [RegionMap, !Ref Subnets, Ami]", "top-level key must be a string, not a"),
        ("!GetAZs [a]", "Fn::GetAZs takes a region name"),
        ("!If [Nope, a, b]", 'Fn::If: unknown condition "Nope"'),
        ("!If [IsProd, a]", "Fn::If takes"),
        ("!Sub '${Nope}'", 'Ref to unknown parameter or resource "Nope"'),
        ("!Sub '${Subnets}'", 'Fn::Sub variable "Subnets" is a list; use Fn::Join'),
        ("!Sub '${AWS::NoValue}'", 'Fn::Sub variable "AWS::NoValue" is AWS::NoValue'),
        ("!Sub '${}'", r"Fn::Sub has an empty variable \$\{\}"),
        ("!Sub '${Db.Nope}'", 'Resource "Db" has no attribute "Nope"'),
        ("!Sub ['${A}', {A: [x]}]", 'Fn::Sub variable "A" must be a string, not a list'),
        ("!Sub [a, b, c]", "Fn::Sub takes a string"),
        ("!Sub ['${A}', [x]]", "Fn::Sub takes a string"),
        ("!ImportValue SharedVpc", "Fn::ImportValue is not supported: cross-stack exports"),
        ("{'Fn::Cidr': [a, 1, 2]}", "Fn::Cidr is not supported"),
        ("{'Fn::Length': [a]}", "Fn::Length is not supported"),
        ("{'Fn::Bogus': 1}", "Unknown function Fn::Bogus"),
        ("!Equals [a, a]", "Fn::Equals can only be used in condition expressions"),
        ("!And [a, b]", "Fn::And can only be used in condition expressions"),
        ("{Ref: Env, Other: 1}", "Ref must be the only key in its mapping"),
    ],
)
def test_errors(value: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        run(value)


def test_resource_without_physical_id_yet() -> None:
    with pytest.raises(TemplateError, match='Resource "Db" has no physical ID yet'):
        run("!Ref Db", resource_refs={})


def test_error_paths_run_through_data_and_stop_at_functions() -> None:
    value = load_document("V:\n  Tags:\n    - {Key: a, Value: !Join ['', [x, !Ref Nope]]}\n")["V"]
    with pytest.raises(TemplateError) as caught:
        resolve(value, make_context())
    assert caught.value.path == ("Tags", 0, "Value")
    assert caught.value.message == '"Tags[0].Value": Ref to unknown parameter or resource "Nope"'


def test_resolve_properties_errors_name_resource_and_property() -> None:
    context = make_context()
    with pytest.raises(TemplateError) as caught:
        resolve_properties(context.template.resources["Web"], context)
    assert caught.value.message == (
        'Resource "Web": property "Tags[1].Value": Resource "Db" has no attribute "Nope"'
    )


def test_resolve_metadata() -> None:
    context = make_context()
    assert resolve_metadata(context.template.resources["Web"], context) == {
        "Wait": "https://signal/handle",
        "Self": "i-123",
    }
    broken = replace(context.template.resources["Web"], metadata={"X": {"Ref": "Nope"}})
    with pytest.raises(TemplateError, match=r'^Resource "Web": Metadata "X": Ref to unknown'):
        resolve_metadata(broken, context)


def test_stack_context_zones_can_be_given() -> None:
    assert run("!GetAZs ''", zones=("nova",)) == ["nova"]
    assert run("!Select [0, !GetAZs '']", zones=["nova", "az2"]) == "nova"


def test_a_custom_context_is_enough() -> None:
    class Context:
        parameters = {"P": "v"}
        pseudo_parameters = {"AWS::Region": "r"}
        mappings: dict[str, Any] = {}
        conditions = {"C": True}

        def availability_zones(self, region: str) -> list[str]:
            return [region + "-zone"]

        def resource_ref(self, name: str) -> str:
            return f"ref:{name}"

        def attribute(self, name: str, attribute: str) -> Any:
            return f"{name}.{attribute}"

    value = load_document(
        "V: !Join ['/', [!Ref P, !Ref R, !GetAtt R.A, !Select [0, !GetAZs ''], !If [C, y, n]]]"
    )["V"]
    assert resolve(value, Context()) == "v/ref:R/R.A/r-zone/y"


def test_stack_context_ref_to_unknown_resource() -> None:
    context = make_context()
    with pytest.raises(TemplateError, match='unknown parameter or resource "Ghost"'):
        context.resource_ref("Ghost")
