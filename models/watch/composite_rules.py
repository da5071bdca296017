"""Composite alarm rules (cloudwatch-api.md §3.6, §4.9): parse, check limits, evaluate. Pure.

Decisions on the open points of §4.9 (each marked [?] there):

- Keywords (ALARM, OK, INSUFFICIENT_DATA, TRUE, FALSE, NOT, AND, OR) are UPPER CASE only;
  `alarm(x)` or `ALARM(x) and ALARM(y)` is a syntax error. AWS documents only upper case and
  we would rather refuse a rule than guess what a lower-case word means.
- Precedence is NOT > AND > OR, AND and OR left-associative (the usual boolean order; AWS
  examples always bracket mixed AND/OR, so no documented rule can tell the difference).
- Positions in messages are 0-based character offsets, as AWS's are: the rule `()` was
  answered `Unsupported token ')' at char 1` [aws-rec], and an unquoted ARN with a space,
  `(ALARM(arn:aws:cloudwatch:us-east-1:…:alarm:SampleQueue Oldest Age Alarm) OR …`, with
  `Unsupported token 'Oldest' at char 67, must be: ')'` [aws-rec]. Both fit 0-based offsets
  (the second with a 9-character region such as us-east-1); neither fits 1-based ones.
  The `must be:` suffix follows that second message; where a condition, TRUE, FALSE, NOT or
  `(` is expected we add no suffix, as in the first.
- In the reference position any word is a name: `ALARM(OK)` refers to an alarm called OK.
  A bare reference runs to the next whitespace, parenthesis or double quote. A quoted one
  runs to the next double quote (there is no escape) and may hold spaces and parentheses.
  `""` is refused: no alarm has an empty name.
- A reference is kept as written (without its quotes): `ALARM(a)` and `ALARM("a")` are the
  same reference, an alarm name and its ARN are two. The service resolves them to alarms
  (see `reference_name`) when it checks that they exist.
- Limits: the length (1 to 10,240) is a model constraint, so it is reported in Coral's words
  before anything is parsed. Children are distinct references as written; since a name and
  its ARN count twice, the real number of alarms can only be lower. Elements are counted
  as AWS lists them: each condition (`ALARM(x)` …) and each TRUE/FALSE counts one, and each
  pair of grouping parentheses counts one (the parentheses of `ALARM(x)` belong to the
  condition). The counting of parentheses is our reading of the docs [?]. Syntax errors are
  reported before limits.
- AT_LEAST(…) (added by AWS in 2025) is not supported and is reported as an unsupported token.

The parser is a shunting-yard over a flat token list and evaluation runs a postfix program
on an explicit stack, so neither recurses: a 10,240-character rule can nest ~2,500 NOTs or
~500 brackets, far past Python's recursion limit for a recursive-descent parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from models.errors import ConstraintViolationError

MAX_RULE_LENGTH = 10240
MAX_CHILDREN = 100
MAX_ELEMENTS = 500

STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
_CONSTANTS = {"TRUE": True, "FALSE": False}
# Binding strength of the operators on the shunting-yard stack; "(" is never popped by them.
_PRECEDENCE = {"OR": 1, "AND": 2, "NOT": 3}


# --- Tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "word", "quoted", "end"
    text: str  # as written (quoted tokens include their quotes)
    position: int  # 0-based offset, as AWS reports it

    @property
    def value(self) -> str:
        return self.text[1:-1] if self.kind == "quoted" else self.text


_TOKEN = re.compile(r'(?P<space>\s+)|(?P<paren>[()])|(?P<quoted>"[^"]*")|(?P<word>[^\s()"]+)')


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            # Only an opening quote without a closing one matches none of the alternatives.
            raise _rule_error(f"Unterminated quoted alarm name at char {position}")
        kind = match.lastgroup
        if kind == "paren":
            tokens.append(_Token(match.group(), match.group(), position))
        elif kind != "space":
            tokens.append(_Token(kind or "", match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


# --- Program -------------------------------------------------------------------------------------

# The parsed rule in postfix order. Operands push a boolean; operators pop theirs.
_Condition = tuple[str, str]  # (state, reference)
_Step = _Condition | bool | str  # a condition, a constant, or "NOT" / "AND" / "OR"


@dataclass(frozen=True)
class AlarmRule:
    """A valid rule. Building one parses `text`; equality and hashing use `text` only."""

    text: str  # stored exactly as given: AWS returns the rule as written
    _program: tuple[_Step, ...] = field(init=False, repr=False, compare=False)
    _references: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        program, references = _parse(self.text)
        object.__setattr__(self, "_program", program)
        object.__setattr__(self, "_references", references)

    def references(self) -> frozenset[str]:
        """The alarm names or ARNs the rule mentions, as written, without quotes."""
        return self._references

    def evaluate(self, states: Mapping[str, str]) -> bool:
        """True means ALARM. `states` maps a reference as written to its alarm's StateValue.

        A reference missing from `states` is in no state, so every condition on it is false.
        The caller need not treat a child deleted since the rule was saved (or an ARN of
        another account) specially, and evaluation cannot fail on a lookup.
        """
        stack: list[bool] = []
        for step in self._program:
            if isinstance(step, bool):
                stack.append(step)
            elif isinstance(step, tuple):
                state, reference = step
                stack.append(states.get(reference) == state)
            elif step == "NOT":
                stack.append(not stack.pop())
            else:
                right, left = stack.pop(), stack.pop()
                stack.append(left and right if step == "AND" else left or right)
        return stack.pop()


def parse_alarm_rule(text: str) -> AlarmRule:
    """Parse and check an AlarmRule, or raise ConstraintViolationError (AWS's ValidationError)."""
    return AlarmRule(text)


def _parse(text: str) -> tuple[tuple[_Step, ...], frozenset[str]]:
    if not text:
        raise ConstraintViolationError(_coral_length(text, "greater than or equal to 1"))
    if len(text) > MAX_RULE_LENGTH:
        raise ConstraintViolationError(
            _coral_length(text, f"less than or equal to {MAX_RULE_LENGTH}")
        )
    if not text.strip():
        raise _rule_error("The rule is empty")
    output, references, elements = _Parser(_tokenize(text)).run()
    if len(references) > MAX_CHILDREN:
        raise _rule_error(
            f"The rule references {len(references)} alarms; the maximum is {MAX_CHILDREN}"
        )
    if elements > MAX_ELEMENTS:
        raise _rule_error(f"The rule has {elements} elements; the maximum is {MAX_ELEMENTS}")
    return tuple(output), frozenset(references)


class _Parser:
    """Shunting-yard with two states: expecting an operand, or expecting an operator."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.output: list[_Step] = []
        self.stack: list[str] = []  # "(", "NOT", "AND", "OR"
        self.open = 0  # "(" on the stack, so a ")" or the end is judged without a scan
        self.references: set[str] = set()
        self.elements = 0

    def run(self) -> tuple[list[_Step], set[str], int]:
        expect_operand: bool | None = True
        while expect_operand is not None:
            expect_operand = self.operand() if expect_operand else self.operator()
        return self.output, self.references, self.elements

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.token
        self.index += 1
        return token

    def operand(self) -> bool:
        """Read NOT, "(" or a whole operand; return whether an operand is still expected."""
        token = self.take()
        if token.kind == "(":
            self.stack.append("(")
            self.open += 1
            self.elements += 1
            return True
        if token.kind == "word" and token.text == "NOT":
            # Unary and binding tightest: it waits on the stack for its operand to complete.
            self.stack.append("NOT")
            return True
        if token.kind == "word" and token.text in _CONSTANTS:
            self.output.append(_CONSTANTS[token.text])
            self.elements += 1
            return False
        if token.kind == "word" and token.text in STATES:
            self.expect("(", "'('")
            reference = self.take()
            if reference.kind not in ("word", "quoted") or not reference.value:
                raise _unexpected(reference, "an alarm name or ARN")
            self.expect(")", "')'")
            self.output.append((token.text, reference.value))
            self.references.add(reference.value)
            self.elements += 1
            return False
        raise _unexpected(token)

    def operator(self) -> bool | None:
        """Read AND/OR (an operand follows: True), ")" (False) or the end (None)."""
        token = self.token
        if token.kind == "word" and token.text in ("AND", "OR"):
            self.pop_while(lambda top: top != "(" and _PRECEDENCE[top] >= _PRECEDENCE[token.text])
            self.stack.append(token.text)
            self.index += 1
            return True
        if token.kind == ")" and self.open:
            self.pop_while(lambda top: top != "(")
            self.stack.pop()
            self.open -= 1
            self.index += 1
            return False
        if token.kind == "end" and not self.open:
            self.pop_while(lambda top: True)
            return None
        if self.open:
            raise _unexpected(token, "'AND', 'OR' or ')'")
        raise _unexpected(token, "'AND', 'OR' or the end of the rule")

    def expect(self, kind: str, expected: str) -> None:
        token = self.take()
        if token.kind != kind:
            raise _unexpected(token, expected)

    def pop_while(self, condition: Callable[[str], bool]) -> None:
        while self.stack and condition(self.stack[-1]):
            self.output.append(self.stack.pop())


# --- References ----------------------------------------------------------------------------------


def reference_name(reference: str, alarm_arn_prefix: str) -> str | None:
    """The alarm name a reference means, or None when it cannot be one of this tenant's alarms.

    `alarm_arn_prefix` is `arn:<partition>:cloudwatch:<region>:<account>:alarm:` for the
    caller. Anything starting with `arn:` is taken as an ARN (so an alarm literally named
    `arn:…` can only be referred to by its full ARN); an ARN of another region, account or
    service, or one too short to be an alarm ARN, gives None. Names may contain ':', so the
    name is everything after the prefix.
    """
    if not reference:
        return None
    if not reference.startswith("arn:"):
        return reference
    if reference.startswith(alarm_arn_prefix) and len(reference) > len(alarm_arn_prefix):
        return reference[len(alarm_arn_prefix) :]
    return None


# --- Messages ------------------------------------------------------------------------------------


def _rule_error(detail: str) -> ConstraintViolationError:
    return ConstraintViolationError(f"Error in AlarmRule [{detail}]")


def _unexpected(token: _Token, expected: str | None = None) -> ConstraintViolationError:
    if token.kind == "end":
        detail = f"Unexpected end of rule at char {token.position}"
    else:
        detail = f"Unsupported token '{token.text}' at char {token.position}"
    if expected:
        detail += f", must be: {expected}"
    return _rule_error(detail)


def _coral_length(text: str, bound: str) -> str:
    return (
        f"1 validation error detected: Value '{text}' at 'alarmRule' failed to satisfy "
        f"constraint: Member must have length {bound}"
    )
