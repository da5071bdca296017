"""Composite alarm rules (cloudwatch-api.md §3.6, §4.9) as tables of cases."""

from __future__ import annotations

import sys

import pytest

from models.errors import ConstraintViolationError
from models.watch.composite_rules import (
    MAX_CHILDREN,
    MAX_ELEMENTS,
    MAX_RULE_LENGTH,
    AlarmRule,
    parse_alarm_rule,
    reference_name,
)
from web.aws.domain_errors import map_domain_error

pytestmark = pytest.mark.unit

ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"


# --- Valid rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "references"),
    [
        (
            "ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)",
            {"CPUUtilizationTooHigh", "DeploymentInProgress"},
        ),
        ("ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)", None),
        ("(ALARM(a) OR ALARM(b)) AND OK(c)", {"a", "b", "c"}),
        ("INSUFFICIENT_DATA(a)", {"a"}),
        ('ALARM("name with spaces")', {"name with spaces"}),
        ('ALARM("name (with) parentheses")', {"name (with) parentheses"}),
        ('ALARM("a") OR ALARM(a)', {"a"}),  # quoting does not make a second reference
        ("TRUE", set()),
        ("FALSE", set()),
        ("NOT FALSE", set()),
        (f"ALARM({ARN}cpu) OR OK({ARN}disk)", {f"{ARN}cpu", f"{ARN}disk"}),
        (f'ALARM("{ARN}name with spaces")', {f"{ARN}name with spaces"}),
        (f"ALARM(cpu) OR ALARM({ARN}cpu)", {"cpu", f"{ARN}cpu"}),  # resolved later
        ("ALARM(a)\nAND\tALARM(b)\r\n", {"a", "b"}),
        ("  ( ALARM( a ) )  ", {"a"}),
        ("ALARM(a)AND(NOT(OK(b)))", {"a", "b"}),
        ("ALARM(OK) AND OK(ALARM)", {"OK", "ALARM"}),  # any word is a name in that position
        ("ALARM(a.b-c_d/e:f#g)", {"a.b-c_d/e:f#g"}),
        ("ALARM(ünïcödé)", {"ünïcödé"}),
    ],
)
def test_valid_rules_parse_and_list_their_references(
    text: str, references: set[str] | None
) -> None:
    rule = parse_alarm_rule(text)
    assert rule.text == text
    if references is not None:
        assert rule.references() == frozenset(references)


def test_the_text_is_kept_byte_for_byte_and_identifies_the_rule() -> None:
    text = '  ALARM( "x" )\n'
    assert parse_alarm_rule(text).text == text
    assert parse_alarm_rule(text) == AlarmRule(text)
    assert hash(parse_alarm_rule(text)) == hash(AlarmRule(text))
    assert parse_alarm_rule(text) != parse_alarm_rule("ALARM(x)")
    assert repr(parse_alarm_rule("TRUE")) == "AlarmRule(text='TRUE')"


def test_building_an_alarm_rule_directly_also_validates() -> None:
    with pytest.raises(ConstraintViolationError):
        AlarmRule("ALARM(")


# --- Evaluation ----------------------------------------------------------------------------------

ALM, OK, INS = "ALARM", "OK", "INSUFFICIENT_DATA"


@pytest.mark.parametrize(
    ("text", "states", "expected"),
    [
        ("TRUE", {}, True),
        ("FALSE", {}, False),
        ("NOT TRUE", {}, False),
        ("NOT NOT TRUE", {}, True),
        ("ALARM(a)", {"a": ALM}, True),
        ("ALARM(a)", {"a": OK}, False),
        ("OK(a)", {"a": OK}, True),
        ("INSUFFICIENT_DATA(a)", {"a": INS}, True),
        ("INSUFFICIENT_DATA(a)", {"a": ALM}, False),
        # A reference absent from the mapping is in no state at all.
        ("ALARM(a)", {}, False),
        ("OK(a)", {}, False),
        ("NOT ALARM(a)", {}, True),
        # AWS's example: CPU high, but not while a deployment runs.
        ("ALARM(cpu) AND NOT ALARM(deploy)", {"cpu": ALM, "deploy": OK}, True),
        ("ALARM(cpu) AND NOT ALARM(deploy)", {"cpu": ALM, "deploy": ALM}, False),
        ("ALARM(cpu) AND NOT ALARM(deploy)", {"cpu": OK, "deploy": OK}, False),
        ("(ALARM(a) OR ALARM(b)) AND OK(c)", {"a": OK, "b": ALM, "c": OK}, True),
        ("(ALARM(a) OR ALARM(b)) AND OK(c)", {"a": ALM, "b": ALM, "c": ALM}, False),
        ("(ALARM(a) OR ALARM(b)) AND OK(c)", {"a": OK, "b": OK, "c": OK}, False),
        # Precedence NOT > AND > OR: a OR (b AND c); (NOT a) AND b.
        ("ALARM(a) OR ALARM(b) AND ALARM(c)", {"a": ALM, "b": OK, "c": OK}, True),
        ("ALARM(a) AND ALARM(b) OR ALARM(c)", {"a": OK, "b": OK, "c": ALM}, True),
        ("ALARM(a) AND ALARM(b) OR ALARM(c)", {"a": ALM, "b": OK, "c": OK}, False),
        ("NOT ALARM(a) AND ALARM(b)", {"a": OK, "b": ALM}, True),
        ("NOT ALARM(a) AND ALARM(b)", {"a": OK, "b": OK}, False),
        ("NOT (ALARM(a) AND ALARM(b))", {"a": ALM, "b": OK}, True),
        ("NOT ALARM(a) OR ALARM(b)", {"a": ALM, "b": OK}, False),
        ("TRUE OR FALSE AND FALSE", {}, True),  # TRUE OR (FALSE AND FALSE)
        ("(TRUE OR FALSE) AND FALSE", {}, False),
        ("FALSE AND TRUE OR TRUE", {}, True),  # (FALSE AND TRUE) OR TRUE
        # Left-associative chains.
        ("ALARM(a) OR ALARM(b) OR ALARM(c) OR ALARM(d)", {"d": ALM}, True),
        ("OK(a) AND OK(b) AND OK(c)", {"a": OK, "b": OK, "c": OK}, True),
        ("OK(a) AND OK(b) AND OK(c)", {"a": OK, "b": OK}, False),
        # Keyed by the reference as written: a name and its ARN are looked up separately.
        (f"ALARM({ARN}a)", {"a": ALM}, False),
        (f"ALARM({ARN}a)", {f"{ARN}a": ALM}, True),
        ('ALARM("with space")', {"with space": ALM}, True),
    ],
)
def test_evaluate(text: str, states: dict[str, str], expected: bool) -> None:
    assert parse_alarm_rule(text).evaluate(states) is expected


# --- Syntax errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        # Recorded from AWS: CDK's empty anyOf() gave "()".
        ("()", "Unsupported token ')' at char 1"),
        # Recorded from AWS: an unquoted ARN whose alarm name has spaces.
        (
            f"(ALARM({ARN}SampleQueue Oldest Age Alarm) OR ALARM({ARN}SampleQueue Visible))",
            "Unsupported token 'Oldest' at char 67, must be: ')'",
        ),
        (")", "Unsupported token ')' at char 0"),
        ("ALARM(", "Unexpected end of rule at char 6, must be: an alarm name or ARN"),
        ("ALARM", "Unexpected end of rule at char 5, must be: '('"),
        ("ALARM x", "Unsupported token 'x' at char 6, must be: '('"),
        ("ALARM()", "Unsupported token ')' at char 6, must be: an alarm name or ARN"),
        ('ALARM("")', "Unsupported token '\"\"' at char 6, must be: an alarm name or ARN"),
        ("ALARM(x", "Unexpected end of rule at char 7, must be: ')'"),
        ("ALARM(x y)", "Unsupported token 'y' at char 8, must be: ')'"),
        ("ALARM(a(b))", "Unsupported token '(' at char 7, must be: ')'"),
        ("ALARM(x) AND", "Unexpected end of rule at char 12"),
        ("ALARM(x) AND  \n", "Unexpected end of rule at char 15"),
        ("ALARM(x) OR OR ALARM(y)", "Unsupported token 'OR' at char 12"),
        ("AND ALARM(x)", "Unsupported token 'AND' at char 0"),
        ("NOT", "Unexpected end of rule at char 3"),
        # Keywords are upper case only.
        ("alarm(x)", "Unsupported token 'alarm' at char 0"),
        ("Alarm(x)", "Unsupported token 'Alarm' at char 0"),
        ("true", "Unsupported token 'true' at char 0"),
        (
            "ALARM(x) and ALARM(y)",
            "Unsupported token 'and' at char 9, must be: 'AND', 'OR' or the end of the rule",
        ),
        ("not ALARM(x)", "Unsupported token 'not' at char 0"),
        (
            "ALARM(x) ALARM(y)",
            "Unsupported token 'ALARM' at char 9, must be: 'AND', 'OR' or the end of the rule",
        ),
        (
            "(ALARM(x) ALARM(y))",
            "Unsupported token 'ALARM' at char 10, must be: 'AND', 'OR' or ')'",
        ),
        ("FOO(x)", "Unsupported token 'FOO' at char 0"),
        ("CPUUtilizationTooHigh", "Unsupported token 'CPUUtilizationTooHigh' at char 0"),
        ('"x"', "Unsupported token '\"x\"' at char 0"),
        (
            "ALARM(x) && ALARM(y)",
            "Unsupported token '&&' at char 9, must be: 'AND', 'OR' or the end of the rule",
        ),
        ("AT_LEAST(2, ALARM, (a, b, c))", "Unsupported token 'AT_LEAST' at char 0"),
        # Unbalanced parentheses and trailing garbage.
        ("(ALARM(x)", "Unexpected end of rule at char 9, must be: 'AND', 'OR' or ')'"),
        ("((ALARM(x))", "Unexpected end of rule at char 11, must be: 'AND', 'OR' or ')'"),
        (
            "ALARM(x))",
            "Unsupported token ')' at char 8, must be: 'AND', 'OR' or the end of the rule",
        ),
        (
            "TRUE FALSE",
            "Unsupported token 'FALSE' at char 5, must be: 'AND', 'OR' or the end of the rule",
        ),
        (
            "TRUE garbage",
            "Unsupported token 'garbage' at char 5, must be: 'AND', 'OR' or the end of the rule",
        ),
        ('ALARM("abc', "Unterminated quoted alarm name at char 6"),
        ('ALARM(x) OR "', "Unterminated quoted alarm name at char 12"),
        # Empty after whitespace.
        ("   ", "The rule is empty"),
        ("\n\t", "The rule is empty"),
    ],
)
def test_syntax_errors_name_the_token_and_its_0_based_position(text: str, detail: str) -> None:
    with pytest.raises(ConstraintViolationError) as caught:
        parse_alarm_rule(text)
    assert caught.value.message == f"Error in AlarmRule [{detail}]"


def test_syntax_errors_reach_clients_as_validation_error() -> None:
    with pytest.raises(ConstraintViolationError) as caught:
        parse_alarm_rule("()")
    error = map_domain_error(caught.value)
    assert type(error).__name__ == "ValidationError"
    assert error.message == "Error in AlarmRule [Unsupported token ')' at char 1]"


def test_an_empty_string_breaks_the_model_length_constraint() -> None:
    with pytest.raises(ConstraintViolationError) as caught:
        parse_alarm_rule("")
    assert caught.value.message == (
        "1 validation error detected: Value '' at 'alarmRule' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


# --- Limits --------------------------------------------------------------------------------------


def or_of(count: int, prefix: str = "a") -> str:
    return " OR ".join(f"ALARM({prefix}{n})" for n in range(count))


def test_length_limit_is_10240_characters() -> None:
    fits = "TRUE" + " " * (MAX_RULE_LENGTH - 4)
    assert parse_alarm_rule(fits).evaluate({}) is True
    with pytest.raises(ConstraintViolationError) as caught:
        parse_alarm_rule(fits + " ")
    assert caught.value.message.startswith("1 validation error detected: Value 'TRUE ")
    assert caught.value.message.endswith(
        "' at 'alarmRule' failed to satisfy constraint: "
        "Member must have length less than or equal to 10240"
    )


def test_length_is_checked_before_syntax() -> None:
    with pytest.raises(ConstraintViolationError, match="length less than or equal to 10240"):
        parse_alarm_rule(")" * (MAX_RULE_LENGTH + 1))


def test_at_most_100_distinct_children() -> None:
    assert len(parse_alarm_rule(or_of(MAX_CHILDREN)).references()) == 100
    # Repeats of the same reference (here in other states) are not new children.
    repeated = or_of(MAX_CHILDREN) + " OR " + or_of(MAX_CHILDREN).replace("ALARM(", "OK(")
    assert len(parse_alarm_rule(repeated).references()) == 100
    with pytest.raises(ConstraintViolationError) as caught:
        parse_alarm_rule(or_of(MAX_CHILDREN + 1))
    assert caught.value.message == (
        "Error in AlarmRule [The rule references 101 alarms; the maximum is 100]"
    )


def test_at_most_500_elements() -> None:
    # 100 children referenced 5 times each: 500 conditions.
    five_times = " OR ".join([or_of(MAX_CHILDREN)] * 5)
    assert len(five_times) <= MAX_RULE_LENGTH
    parse_alarm_rule(five_times)
    with pytest.raises(ConstraintViolationError) as caught:
        parse_alarm_rule(five_times + " OR TRUE")
    assert caught.value.message == (
        "Error in AlarmRule [The rule has 501 elements; the maximum is 500]"
    )


@pytest.mark.parametrize(
    ("text", "elements"),
    [
        ("TRUE", 1),
        ("ALARM(a)", 1),  # the condition's own parentheses are part of it
        ("(ALARM(a))", 2),  # a pair of grouping parentheses is one element
        ("NOT NOT TRUE", 1),  # operators are not elements
        ("(TRUE AND (FALSE OR ALARM(a)))", 5),
    ],
)
def test_what_counts_as_an_element(text: str, elements: int) -> None:
    # Pad with TRUEs up to exactly the limit: accepted; one more is refused.
    padding = MAX_ELEMENTS - elements
    parse_alarm_rule(text + " OR TRUE" * padding)
    with pytest.raises(ConstraintViolationError, match="501 elements"):
        parse_alarm_rule(text + " OR TRUE" * (padding + 1))


def test_syntax_errors_are_reported_before_limits() -> None:
    with pytest.raises(ConstraintViolationError, match=r"Unexpected end of rule"):
        parse_alarm_rule(or_of(MAX_CHILDREN + 1) + " AND")


# --- Depth: no recursion -------------------------------------------------------------------------


@pytest.fixture
def low_recursion_limit():
    # Far below what a recursive parser would need for these rules, so a regression to
    # recursion fails here rather than only for users near the length limit.
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    yield
    sys.setrecursionlimit(old)


@pytest.mark.usefixtures("low_recursion_limit")
@pytest.mark.parametrize("count", [250, 2000])
def test_long_chains_of_not_parse_and_evaluate(count: int) -> None:
    rule = parse_alarm_rule("NOT " * count + "ALARM(a)")
    assert rule.evaluate({"a": ALM}) is (count % 2 == 0)


@pytest.mark.usefixtures("low_recursion_limit")
def test_deepest_brackets_within_the_element_limit() -> None:
    depth = MAX_ELEMENTS - 1  # 499 pairs plus one condition: exactly 500 elements
    rule = parse_alarm_rule("(" * depth + "ALARM(a)" + ")" * depth)
    assert rule.evaluate({"a": ALM}) is True
    with pytest.raises(ConstraintViolationError, match="501 elements"):
        parse_alarm_rule("(" * (depth + 1) + "ALARM(a)" + ")" * (depth + 1))


@pytest.mark.usefixtures("low_recursion_limit")
def test_deep_alternation_of_not_and_brackets() -> None:
    depth = 400
    rule = parse_alarm_rule("NOT (" * depth + "OK(a)" + ")" * depth)
    assert rule.evaluate({"a": OK}) is True
    assert rule.evaluate({"a": ALM}) is False


@pytest.mark.usefixtures("low_recursion_limit")
def test_long_flat_chains() -> None:
    rule = parse_alarm_rule(" AND ".join(["TRUE"] * 499) + " AND FALSE")
    assert rule.evaluate({}) is False


# --- References ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("cpu-high", "cpu-high"),
        ("name with spaces", "name with spaces"),
        ("name:with:colons", "name:with:colons"),
        (f"{ARN}cpu-high", "cpu-high"),
        (f"{ARN}name:with:colons", "name:with:colons"),
        (f"{ARN}name with spaces", "name with spaces"),
        # Another region, another account, another partition or service.
        ("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu", None),
        ("arn:aws:cloudwatch:us-east-1:999999999999:alarm:cpu", None),
        ("arn:aws-cn:cloudwatch:us-east-1:123456789012:alarm:cpu", None),
        ("arn:aws:sns:us-east-1:123456789012:alarm:cpu", None),
        # Malformed ARNs.
        (ARN, None),  # no name
        ("arn:aws:cloudwatch:us-east-1:123456789012:dashboard/cpu", None),
        ("arn:aws:cloudwatch:us-east-1:123456789012:cpu", None),
        ("arn:", None),
        ("arn:foo", None),  # anything starting arn: is an ARN, never a name
        (
            "ARN:aws:cloudwatch:us-east-1:123456789012:alarm:cpu",
            "ARN:aws:cloudwatch:us-east-1:123456789012:alarm:cpu",
        ),
        ("", None),
    ],
)
def test_reference_name(reference: str, expected: str | None) -> None:
    assert reference_name(reference, ARN) == expected


def test_references_resolve_to_names_for_the_existence_check() -> None:
    rule = parse_alarm_rule(f'ALARM(cpu) AND NOT ALARM("{ARN}deploy") OR OK({ARN}cpu)')
    names = {reference_name(r, ARN) for r in rule.references()}
    assert names == {"cpu", "deploy"}
