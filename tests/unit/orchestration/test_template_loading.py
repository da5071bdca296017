"""Template text to data: JSON, YAML, the YAML short forms and the size limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models.errors import InvalidInputError
from models.orchestration.templates import MAX_TEMPLATE_BYTES, TemplateError, load_document
from models.orchestration.templates.loading import MAX_DEPTH

pytestmark = pytest.mark.unit


def value_of(yaml_value: str) -> Any:
    return load_document(f"V: {yaml_value}\n")["V"]


# --- Short forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("!Ref Foo", {"Ref": "Foo"}),
        ("!Ref AWS::Region", {"Ref": "AWS::Region"}),
        ("!GetAtt Db.Endpoint", {"Fn::GetAtt": ["Db", "Endpoint"]}),
        # Only the first dot separates: nested attribute names keep theirs.
        ("!GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
        ("!GetAtt [Db, Endpoint.Address]", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
        ("!Join [',', [a, b]]", {"Fn::Join": [",", ["a", "b"]]}),
        ("!Sub 'x-${AWS::Region}'", {"Fn::Sub": "x-${AWS::Region}"}),
        ("!Sub ['${A}', {A: 1}]", {"Fn::Sub": ["${A}", {"A": 1}]}),
        (
            "!If [IsProd, a, !Ref AWS::NoValue]",
            {"Fn::If": ["IsProd", "a", {"Ref": "AWS::NoValue"}]},
        ),
        ("!Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
        ("!Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
        ("!FindInMap [M, k, v]", {"Fn::FindInMap": ["M", "k", "v"]}),
        ("!GetAZs ''", {"Fn::GetAZs": ""}),
        ("!GetAZs {Ref: AWS::Region}", {"Fn::GetAZs": {"Ref": "AWS::Region"}}),
        ("!Base64 hello", {"Fn::Base64": "hello"}),
        ("!Base64 {'Fn::Join': ['', [a]]}", {"Fn::Base64": {"Fn::Join": ["", ["a"]]}}),
        ("!Equals [a, b]", {"Fn::Equals": ["a", "b"]}),
        (
            "!And [!Condition A, !Condition B]",
            {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]},
        ),
        (
            "!Or [!Condition A, !Not [!Condition B]]",
            {"Fn::Or": [{"Condition": "A"}, {"Fn::Not": [{"Condition": "B"}]}]},
        ),
        ("!Condition IsProd", {"Condition": "IsProd"}),
        ("!ImportValue Shared", {"Fn::ImportValue": "Shared"}),
    ],
)
def test_short_forms_become_long_forms(short: str, long: Any) -> None:
    assert value_of(short) == long


def test_short_forms_nest_deeply() -> None:
    text = """
V: !Base64
  Fn::Join:
    - ''
    - - "#!/bin/bash\\n"
      - !Sub "echo ${AWS::StackName}\\n"
      - !Select [1, !Split [',', !Join [',', [a, !GetAtt X.Y]]]]
"""
    assert load_document(text)["V"] == {
        "Fn::Base64": {
            "Fn::Join": [
                "",
                [
                    "#!/bin/bash\n",
                    {"Fn::Sub": "echo ${AWS::StackName}\n"},
                    {
                        "Fn::Select": [
                            1,
                            {
                                "Fn::Split": [
                                    ",",
                                    {"Fn::Join": [",", ["a", {"Fn::GetAtt": ["X", "Y"]}]]},
                                ]
                            },
                        ]
                    },
                ],
            ]
        }
    }


def test_short_form_results_are_json_serialisable() -> None:
    document = load_document("A: !Ref B\nC: !GetAtt D.E\nF: !Sub x\n")
    assert json.loads(json.dumps(document)) == document


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("V: !GetAtt NoDot", '!GetAtt "NoDot" must have the form Resource.Attribute'),
        ("V: !GetAtt .Attr", "must have the form Resource.Attribute"),
        ("V: !Bogus x", "could not determine a constructor for the tag '!Bogus'"),
        # YAML allows one tag per node, so short forms cannot be stacked directly (as in AWS).
        ("V: !Base64 !Sub x", "Template is not valid YAML"),
    ],
)
def test_bad_short_forms(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_document(text)


# --- Formats -------------------------------------------------------------------------------------


def test_unquoted_yaml_dates_stay_text() -> None:
    document = load_document("AWSTemplateFormatVersion: 2010-09-09\nWhen: 2024-01-02 10:00:00\n")
    assert document == {"AWSTemplateFormatVersion": "2010-09-09", "When": "2024-01-02 10:00:00"}


def test_json_is_read_as_json() -> None:
    text = json.dumps({"Resources": {"A": {"Type": "T", "Properties": {"P": {"Ref": "X"}}}}})
    assert load_document(text)["Resources"]["A"]["Properties"] == {"P": {"Ref": "X"}}


def test_a_yaml_flow_mapping_starting_with_a_brace_is_read_as_yaml() -> None:
    assert load_document("{Resources: {A: {Type: T}}}") == {"Resources": {"A": {"Type": "T"}}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1', "Template is not valid JSON"),
        ('{"a": [1}', "Template is not valid JSON"),
        ("a: [1, 2", "Template is not valid YAML"),
        ("a: 1\na: 2\n", 'line 2: duplicate key "a"'),
        ("a:\n  b: 1\n  b: 2\n", 'line 3: duplicate key "b"'),
        ('{"a": 1, "a": 2}', 'duplicate key "a"'),
        ("- a\n- b\n", "Template must be a mapping"),
        ("just text", "Template must be a mapping"),
        ("", "Template must be a mapping"),
        ("? [a, b]\n: 1\n", "a mapping key must be a scalar"),
    ],
)
def test_malformed_text(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        load_document(text)


def test_yaml_merge_keys_may_override_merged_values() -> None:
    text = "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n"
    assert load_document(text)["derived"] == {"x": 1, "y": 3}


def test_template_errors_are_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        load_document("- not a mapping")


# --- Limits --------------------------------------------------------------------------------------


def test_size_limit_is_one_megabyte_of_utf8() -> None:
    filler = "x" * (MAX_TEMPLATE_BYTES - len("a: ''\n") - 1)
    assert load_document(f"a: '{filler}'\n")["a"] == filler
    with pytest.raises(TemplateError, match="exceeds the maximum size of 1048576 bytes"):
        load_document(f"a: '{filler}xx'\n")
    # Counted in bytes: two-byte characters reach the limit at half the length.
    with pytest.raises(TemplateError, match="exceeds the maximum size"):
        load_document("a: '" + "é" * (MAX_TEMPLATE_BYTES // 2) + "'\n")


def test_alias_expansion_is_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 10)}]")
    with pytest.raises(TemplateError, match="expands to more than"):
        load_document("\n".join(lines) + "\n")


def test_nesting_depth_is_bounded() -> None:
    assert load_document("a: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n")
    with pytest.raises(TemplateError, match="nested more than"):
        load_document("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")
    with pytest.raises(TemplateError, match="nested more than"):
        load_document('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")


def test_only_text_is_accepted() -> None:
    with pytest.raises(TemplateError, match="Template must be text"):
        load_document(b"a: 1")  # type: ignore[arg-type]
