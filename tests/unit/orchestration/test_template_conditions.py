"""evaluate_conditions: the condition functions, references between conditions, and errors."""

from __future__ import annotations

import pytest

from models.orchestration.templates import (
    StackContext,
    TemplateError,
    evaluate_conditions,
    parse_template,
    pseudo_parameters,
    resolve_parameters,
)

pytestmark = pytest.mark.unit

HEAD = """
Parameters:
  Env: {Type: String, Default: prod}
  Count: {Type: Number, Default: 1}
  Zones: {Type: CommaDelimitedList, Default: "a,b"}
Mappings:
  EnvMap:
    prod: {Big: "yes"}
    dev: {Big: "no"}
Resources:
  Res: {Type: T}
"""


def evaluate(conditions: str, **given: str) -> dict[str, bool]:
    template = parse_template(HEAD + "Conditions:\n" + conditions)
    context = StackContext(
        template,
        resolve_parameters(template, given).values,
        pseudo_parameters(stack_name="s", stack_id="id", region="RegionOne", account_id="a"),
    )
    return evaluate_conditions(template, context)


@pytest.mark.parametrize(
    ("expression", "given", "expected"),
    [
        ("!Equals [!Ref Env, prod]", {}, True),
        ("!Equals [!Ref Env, prod]", {"Env": "dev"}, False),
        ("!Equals [prod, !Ref Env]", {}, True),
        # Text forms compare: YAML 1 equals the Number parameter's "1", true equals "true".
        ("!Equals [!Ref Count, 1]", {}, True),
        ("!Equals [!Ref Count, '1']", {}, True),
        ("!Equals [true, 'true']", {}, True),
        ("!Equals [!Ref Count, 2]", {}, False),
        ("!Equals [!Ref Zones, [a, b]]", {}, True),
        ("!Equals [!Ref Zones, [a]]", {}, False),
        ("!Equals [!Ref AWS::Region, RegionOne]", {}, True),
        ("!Equals [!FindInMap [EnvMap, !Ref Env, Big], 'yes']", {}, True),
        ("!Equals [!FindInMap [EnvMap, !Ref Env, Big], 'yes']", {"Env": "dev"}, False),
        ("!Equals [!Select [1, !Ref Zones], b]", {}, True),
        ("!Equals [!Sub '${Env}-${AWS::Region}', prod-RegionOne]", {}, True),
        ("!Equals [!Join ['', [!Ref Env]], prod]", {}, True),
        ("!Equals [!Select [0, !GetAZs ''], RegionOnea]", {}, True),
        ("!Equals [{a: 1}, {a: '1'}]", {}, True),
        ("!Not [!Equals [!Ref Env, prod]]", {}, False),
        ("!And [!Equals [a, a], !Equals [b, b]]", {}, True),
        ("!And [!Equals [a, a], !Equals [a, b]]", {}, False),
        ("!Or [!Equals [a, b], !Equals [b, b]]", {}, True),
        ("!Or [!Equals [a, b], !Equals [c, d]]", {}, False),
        ("!Or [!Equals [a, b], !And [!Equals [c, c], !Not [!Equals [d, e]]]]", {}, True),
    ],
)
def test_condition_functions(expression: str, given: dict[str, str], expected: bool) -> None:
    assert evaluate(f"  C: {expression}\n", **given) == {"C": expected}


def test_conditions_refer_to_conditions_in_any_order() -> None:
    result = evaluate(
        """
  Both: !And [!Condition IsProd, !Condition Single]
  NotProd: !Not [!Condition IsProd]
  IsProd: !Equals [!Ref Env, prod]
  Single: !Equals [!Ref Count, 1]
  Alias: !Condition Both
"""
    )
    assert result == {"Both": True, "NotProd": False, "IsProd": True, "Single": True, "Alias": True}


def test_context_conditions_are_not_consulted() -> None:
    template = parse_template(HEAD + "Conditions:\n  C: !Equals [a, b]\n")
    context = StackContext(template, {"Env": "prod"}, {}, conditions={"C": True})
    assert evaluate_conditions(template, context) == {"C": False}


def test_no_conditions() -> None:
    template = parse_template(HEAD)
    assert evaluate_conditions(template, StackContext(template, {}, {})) == {}


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ("  C: !Condition Nope\n", 'Condition "C": unknown condition "Nope"'),
        ("  C: !And [!Condition C, !Equals [a, a]]\n", "in a cycle: C -> C"),
        (
            "  A: !Condition B\n  B: !Not [!Condition A]\n",
            'Condition "B": conditions refer to each other in a cycle: A -> B -> A',
        ),
        ("  C: true\n", 'Condition "C": must be a condition: Fn::Equals'),
        ("  C: !Ref Env\n", 'Condition "C": Ref must be a condition'),
        ("  C: !Equals [a]\n", r"Fn::Equals takes \[value, value\]"),
        ("  C: !Not [!Equals [a, a], !Equals [b, b]]\n", r"Fn::Not takes \[condition\]"),
        ("  C: !And [!Equals [a, a]]\n", "Fn::And takes a list of 2 to 10 conditions"),
        ("  C: !Or [" + ", ".join(["!Equals [a, a]"] * 11) + "]\n", "Fn::Or takes a list"),
        ("  C: !And [!Equals [a, a], x]\n", 'Condition "C": must be a condition'),
        ("  C: !Equals [!Ref Nope, a]\n", 'Condition "C": Ref to "Nope", which is not a param'),
        ("  C: !Equals [!Ref Res, a]\n", "conditions cannot use resources"),
        ("  C: !Equals [!GetAtt Res.Attr, a]\n", "Fn::GetAtt cannot be used in conditions"),
        ("  C: !Equals [!FindInMap [EnvMap, nope, Big], a]\n", 'has no key "nope"'),
        ("  C: !Equals [!Ref AWS::NoValue, a]\n", "Fn::Equals operand is AWS::NoValue"),
        ("  C: !Equals [!Equals [a, a], true]\n", "can only be used in condition expressions"),
        ("  C: {Condition: [a]}\n", "Condition takes the name of a condition"),
    ],
)
def test_errors(conditions: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        evaluate(conditions)


def test_fn_if_inside_an_operand_uses_the_other_conditions() -> None:
    result = evaluate(
        "  IsProd: !Equals [!Ref Env, prod]\n  Label: !Equals [!If [IsProd, big, small], big]\n"
    )
    assert result == {"IsProd": True, "Label": True}


def test_results_keep_template_order() -> None:
    result = evaluate("  Z: !Equals [a, a]\n  A: !Condition Z\n  M: !Equals [a, b]\n")
    assert list(result) == ["Z", "A", "M"]
