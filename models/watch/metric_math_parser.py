"""Metric math syntax (cloudwatch-api.md §4.4): a tokenizer and a recursive-descent parser.

The parser only checks the shape of an expression: tokens, brackets, function names and
argument counts. Whether the operands have the right kinds (a series where a series is
needed) is found by evaluating (see `metric_math.evaluate`), which GetMetricData planning
does once on empty series, so every problem is reported before any data is read.

Precedence, lowest first (the usual arithmetic order; AWS documents no other):
`OR ||` < `AND &&` < `== != < <= > >=` < `+ -` < `* /` < unary `- +` < `^`.
All binary operators are left-associative except `^`, which is right-associative and binds
tighter than unary minus: `-2 ^ 2` is -4 and `2 ^ 3 ^ 2` is 512.

Ids start with a lower-case letter; function names and the keywords AND, OR, REPEAT and
LINEAR are upper case, as in AWS. Arrays of series are written `[m1, m2]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from models.errors import ConstraintViolationError

ID_PATTERN = re.compile(r"[a-z][a-zA-Z0-9_]*")

# name -> (fewest, most) arguments; None means any number.
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "ABS": (1, 1),
    "AVG": (1, None),
    "CEIL": (1, 1),
    "DATAPOINT_COUNT": (1, 1),
    "DIFF": (1, 1),
    "DIFF_TIME": (1, 1),
    "FILL": (2, 2),
    "FIRST": (1, 1),
    "FLOOR": (1, 1),
    "IF": (2, 3),
    "LAST": (1, 1),
    "LOG": (1, 1),
    "LOG10": (1, 1),
    "MAX": (1, None),
    "METRIC_COUNT": (1, 1),
    "METRICS": (0, 1),
    "MIN": (1, None),
    "PERIOD": (1, 1),
    "RATE": (1, 1),
    "REMOVE_EMPTY": (1, 1),
    "RUNNING_SUM": (1, 1),
    "STDDEV": (1, None),
    "SUM": (1, None),
    "TIME_SERIES": (1, 1),
}
KEYWORDS = ("REPEAT", "LINEAR")
# Brackets, calls, prefix signs and powers may nest this deep: a 2048-character expression
# could otherwise exhaust Python's recursion limit in the parser or the evaluator.
# Left-associative chains (a + b + c …) are parsed and evaluated without recursion.
MAX_DEPTH = 50  # about 10 parser frames per level


# --- AST -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class String:
    value: str


@dataclass(frozen=True)
class Ref:
    id: str


@dataclass(frozen=True)
class Keyword:
    name: str  # REPEAT or LINEAR (only meaningful as FILL's second argument)


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "+"
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / ^ == != < <= > >= AND OR
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Array:
    items: tuple[Node, ...]


Node = Number | String | Ref | Keyword | Unary | Binary | Call | Array


# --- Tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "string", "name", "op", "end"
    text: str
    position: int  # 1-based column, for messages


_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<string>"[^"]*"|'[^']*')
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op><=|>=|==|!=|&&|\|\||[-+*/^()\[\],<>])""",
    re.VERBOSE,
)
_WORD_OPERATORS = {"AND": "AND", "OR": "OR", "&&": "AND", "||": "OR"}


def tokenize(expression: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None:
            raise _error(
                f"Unexpected character '{expression[position]}' at position {position + 1}."
            )
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), position + 1))
        position = match.end()
    tokens.append(Token("end", "", len(expression) + 1))
    return tokens


# --- Parser --------------------------------------------------------------------------------------


def parse(expression: str) -> Node:
    """Parse a metric math expression, or raise ConstraintViolationError saying what is wrong."""
    if not expression or not expression.strip():
        raise _error("The expression is empty.")
    first = expression.split(None, 1)[0]
    if first.upper() == "SELECT":
        raise _error("Metrics Insights queries (SELECT) are not supported.")
    return _Parser(tokenize(expression)).parse()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        return self.token.kind in ("op", "name") and self.token.text in texts

    def expect(self, text: str) -> None:
        if not self.at(text):
            raise _error(f"Expected '{text}' {_where(self.token)}.")
        self.advance()

    def parse(self) -> Node:
        node = self.or_()
        if self.token.kind != "end":
            raise _error(f"Unexpected {_describe(self.token)} at position {self.token.position}.")
        return node

    def or_(self) -> Node:
        self.enter()
        node = self.and_()
        while self.at("OR", "||"):
            self.advance()
            node = Binary("OR", node, self.and_())
        self.depth -= 1
        return node

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(f"The expression is nested more than {MAX_DEPTH} levels deep.")

    def and_(self) -> Node:
        node = self.comparison()
        while self.at("AND", "&&"):
            self.advance()
            node = Binary("AND", node, self.comparison())
        return node

    def comparison(self) -> Node:
        node = self.additive()
        while self.at("==", "!=", "<", "<=", ">", ">="):
            op = self.advance().text
            node = Binary(op, node, self.additive())
        return node

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.at("+", "-"):
            op = self.advance().text
            node = Binary(op, node, self.multiplicative())
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.at("*", "/"):
            op = self.advance().text
            node = Binary(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("-", "+"):
            op = self.advance().text
            self.enter()
            node = Unary(op, self.unary())
            self.depth -= 1
            return node
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        if self.at("^"):
            self.advance()
            self.enter()
            node = Binary("^", base, self.unary())  # right-associative: 2^3^2 = 2^(3^2)
            self.depth -= 1
            return node
        return base

    def primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            return Number(float(token.text))
        if token.kind == "string":
            self.advance()
            return String(token.text[1:-1])
        if token.kind == "name":
            self.advance()
            if self.at("("):
                return self.call(token)
            return _name(token)
        if self.at("("):
            self.advance()
            node = self.or_()
            self.expect(")")
            return node
        if self.at("["):
            self.advance()
            items = self.arguments("]")
            if not items:
                raise _error(f"An array needs at least one element {_where(token)}.")
            return Array(items)
        raise _error(f"Unexpected {_describe(token)} at position {token.position}.")

    def call(self, name: Token) -> Node:
        if name.text not in FUNCTIONS:
            raise unsupported_function(name.text)
        self.expect("(")
        args = self.arguments(")")
        fewest, most = FUNCTIONS[name.text]
        if len(args) < fewest or (most is not None and len(args) > most):
            wanted = str(fewest) if fewest == most else f"{fewest} to {most}"
            if most is None:
                wanted = f"at least {fewest}"
            raise _error(f"The function {name.text} takes {wanted} argument(s), not {len(args)}.")
        return Call(name.text, args)

    def arguments(self, closing: str) -> tuple[Node, ...]:
        items: list[Node] = []
        if self.at(closing):
            self.advance()
            return ()
        while True:
            items.append(self.or_())
            if self.at(","):
                self.advance()
                continue
            self.expect(closing)
            return tuple(items)


def _name(token: Token) -> Node:
    text = token.text
    if text in KEYWORDS:
        return Keyword(text)
    if text in _WORD_OPERATORS or text in FUNCTIONS:
        raise _error(f"Unexpected {_describe(token)} at position {token.position}.")
    if ID_PATTERN.fullmatch(text):
        return Ref(text)
    raise _error(f"Unrecognized identifier {text} at position {token.position}.")


def unsupported_function(name: str) -> ConstraintViolationError:
    if name.upper() in FUNCTIONS:
        return _error(f"The function {name} is not supported: function names are upper case.")
    return _error(f"The function {name} is not supported.")


def _describe(token: Token) -> str:
    return "end of expression" if token.kind == "end" else f"'{token.text}'"


def _where(token: Token) -> str:
    if token.kind == "end":
        return "at the end of the expression"
    return f"at position {token.position}, found '{token.text}'"


def _error(message: str) -> ConstraintViolationError:
    return ConstraintViolationError(message)


# --- Walking the tree ----------------------------------------------------------------------------


def walk(node: Node) -> Iterator[Node]:
    """Every node, in no particular order. Iterative: `a + 1 + 1 + …` nests as deep as it is
    long (left-associative chains are not bounded by MAX_DEPTH)."""
    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, Unary):
            stack.append(item.operand)
        elif isinstance(item, Binary):
            stack += (item.left, item.right)
        elif isinstance(item, Call):
            stack += item.args
        elif isinstance(item, Array):
            stack += item.items


def metrics_filter(call: Call) -> str:
    """The substring of `METRICS("str")` ("" for `METRICS()`, which matches every Id)."""
    if not call.args:
        return ""
    argument = call.args[0]
    if not isinstance(argument, String):
        raise _error("The argument of METRICS must be a string in double quotes.")
    return argument.value


def references(node: Node, metric_ids: Iterable[str] = ()) -> set[str]:
    """The Ids an expression reads. `METRICS()` / `METRICS("s")` stand for the MetricStat
    query Ids in `metric_ids` (those containing "s"); without them they add nothing."""
    metric_ids = list(metric_ids)
    found: set[str] = set()
    for item in walk(node):
        if isinstance(item, Ref):
            found.add(item.id)
        elif isinstance(item, Call) and item.name == "METRICS":
            wanted = metrics_filter(item)
            found.update(i for i in metric_ids if wanted in i)
    return found


def function_names(node: Node) -> set[str]:
    return {item.name for item in walk(node) if isinstance(item, Call)}
