"""Call detection, Fn::Sub strings, walking values, and how errors name their place."""

from __future__ import annotations

from typing import Any

import pytest

from models.errors import InvalidInputError
from models.orchestration.templates import TemplateError
from models.orchestration.templates.errors import ParameterError, format_path
from models.orchestration.templates.syntax import SubVariable, as_call, iter_calls, parse_sub

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "call"),
    [
        ({"Ref": "X"}, ("Ref", "X")),
        ({"Fn::Join": ["", []]}, ("Fn::Join", ["", []])),
        ({"Fn::Anything": 1}, ("Fn::Anything", 1)),
        ({"Condition": "C"}, None),  # only a call inside condition expressions
        ({"Key": "Ref"}, None),
        ({}, None),
        ("Ref", None),
        (["Ref", "X"], None),
    ],
)
def test_as_call(value: Any, call: tuple[str, Any] | None) -> None:
    assert as_call(value) == call


def test_condition_key_is_a_call_in_condition_expressions() -> None:
    assert as_call({"Condition": "C"}, condition_key=True) == ("Condition", "C")


def test_function_key_next_to_other_keys_is_an_error() -> None:
    with pytest.raises(TemplateError, match="Fn::GetAtt must be the only key in its mapping"):
        as_call({"Fn::GetAtt": ["a", "b"], "Extra": 1})


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", []),
        ("plain", ["plain"]),
        ("${A}", [SubVariable("A")]),
        ("a${A}b${B.C}c", ["a", SubVariable("A"), "b", SubVariable("B.C"), "c"]),
        ("${AWS::Region}", [SubVariable("AWS::Region")]),
        ("${!A}", ["${A}"]),
        ("x${!A}y${B}", ["x${A}y", SubVariable("B")]),
        ("${!}", ["${}"]),
        ("$A ${A", ["$A ${A"]),
        ("${ A }", [SubVariable("A")]),
        ("${A}${B}", [SubVariable("A"), SubVariable("B")]),
        ("${var:-default}", [SubVariable("var:-default")]),  # CloudFormation: a variable too
    ],
)
def test_parse_sub(text: str, parts: list[Any]) -> None:
    assert parse_sub(text) == parts


def test_parse_sub_rejects_empty_variables() -> None:
    with pytest.raises(TemplateError, match="empty variable"):
        parse_sub("a ${ } b")


def test_iter_calls_lists_nested_calls_with_their_data_path() -> None:
    value = {
        "A": {"Ref": "X"},
        "B": [{"K": {"Fn::Join": ["", [{"Ref": "Y"}, {"Fn::GetAtt": ["Z", "W"]}]]}}],
        "C": "plain",
    }
    calls = [(call.name, call.path) for call in iter_calls(value)]
    assert calls == [
        ("Ref", ("A",)),
        ("Fn::Join", ("B", 0, "K")),
        ("Ref", ("B", 0, "K")),
        ("Fn::GetAtt", ("B", 0, "K")),
    ]


@pytest.mark.parametrize(
    ("conditions", "refs"),
    [
        (None, ["Yes", "No"]),
        ({"C": True}, ["Yes"]),
        ({"C": False}, ["No"]),
        ({"Other": True}, ["Yes", "No"]),  # unknown condition: both branches
    ],
)
def test_iter_calls_follows_only_the_taken_branch(
    conditions: dict[str, bool] | None, refs: list[str]
) -> None:
    value = {"P": {"Fn::If": ["C", {"Ref": "Yes"}, {"Ref": "No"}]}}
    found = [c.args for c in iter_calls(value, conditions=conditions) if c.name == "Ref"]
    assert found == refs


def test_iter_calls_reports_mixed_keys_with_the_path() -> None:
    with pytest.raises(TemplateError) as caught:
        list(iter_calls({"A": [{"Ref": "X", "B": 1}]}))
    assert caught.value.path == ("A", 0)


# --- TemplateError -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("ImageId",), "ImageId"),
        (("Tags", 0, "Value"), "Tags[0].Value"),
        (("A", 0, 1), "A[0][1]"),
        ((0, "A"), "[0].A"),
    ],
)
def test_format_path(path: tuple[Any, ...], text: str) -> None:
    assert format_path(path) == text


def test_error_messages_put_the_place_first() -> None:
    error = TemplateError('Ref to unknown parameter "Foo"')
    assert error.message == 'Ref to unknown parameter "Foo"'
    inner = error.within(0).within("Tags")
    assert inner.message == '"Tags[0]": Ref to unknown parameter "Foo"'
    located = inner.located('Resource "Web": property')
    assert located.message == 'Resource "Web": property "Tags[0]": Ref to unknown parameter "Foo"'
    assert str(located) == located.message
    # Once located, further wrapping keeps the innermost place.
    assert located.within("Outer").located("Elsewhere") is located
    assert TemplateError("x", where='Output "O": Value').message == 'Output "O": Value: x'
    assert isinstance(located, InvalidInputError)


def test_wrapping_keeps_the_error_class() -> None:
    error = ParameterError("bad").located("Somewhere")
    assert isinstance(error, ParameterError)
    assert error.message == "Somewhere: bad"
