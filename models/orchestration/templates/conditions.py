"""Evaluating the Conditions section to one boolean per condition.

Conditions are evaluated once, before any resource is created, from parameters, pseudo
parameters and mappings only: a condition cannot depend on a resource (CloudFormation's rule,
and the reason the dependency graph can be built from the results).

Decisions:
- Fn::Equals compares CloudFormation's text forms: YAML `1` and the parameter value "1" are
  equal, `true` equals "true", lists compare item by item. Comparing Python values instead
  would make `!Equals [!Ref Count, 1]` false for Count=1.
- Fn::And and Fn::Or evaluate every operand rather than short-circuiting, so a bad reference
  is reported whichever way the other operands go.
- A condition that refers back to itself through `Condition` is an error naming the chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from models.orchestration.templates.errors import TemplateError
from models.orchestration.templates.functions import ResolveContext, as_text, resolve
from models.orchestration.templates.model import ParameterValue, Template
from models.orchestration.templates.syntax import CONDITION_FUNCTIONS, as_call, check_arguments

CONDITION_EXPECTED = "must be a condition: Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition"


def evaluate_conditions(template: Template, context: ResolveContext) -> dict[str, bool]:
    """name -> value for every condition; `context.conditions` is not consulted."""
    evaluator = _Evaluator(template.conditions, context)
    return {name: evaluator.value(name) for name in template.conditions}


class _Evaluator:
    def __init__(self, expressions: Mapping[str, Any], context: ResolveContext) -> None:
        self.expressions = expressions
        self.results: dict[str, bool] = {}
        self.active: list[str] = []
        self.operands = _OperandContext(context, self)

    def value(self, name: str) -> bool:
        if name in self.results:
            return self.results[name]
        if name not in self.expressions:
            raise TemplateError(f'unknown condition "{name}"')
        if name in self.active:
            chain = " -> ".join([*self.active[self.active.index(name) :], name])
            raise TemplateError(f"conditions refer to each other in a cycle: {chain}")
        self.active.append(name)
        try:
            result = self.evaluate(self.expressions[name])
        except TemplateError as error:
            raise error.located(f'Condition "{name}"') from error
        finally:
            self.active.pop()
        self.results[name] = result
        return result

    def evaluate(self, expression: Any) -> bool:
        call = as_call(expression, condition_key=True)
        if call is None:
            raise TemplateError(CONDITION_EXPECTED)
        name, args = call
        if name == "Condition":
            if not isinstance(args, str):
                raise TemplateError("Condition takes the name of a condition")
            return self.value(args)
        if name not in CONDITION_FUNCTIONS:
            raise TemplateError(f"{name} {CONDITION_EXPECTED}")
        check_arguments(name, args)
        if name == "Fn::Equals":
            left, right = (_comparable(resolve(arg, self.operands)) for arg in args)
            return left == right
        results = [self.evaluate(arg) for arg in args]
        if name == "Fn::And":
            return all(results)
        if name == "Fn::Or":
            return any(results)
        return not results[0]


def _comparable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_comparable(item) for item in value]
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    return as_text(value, "Fn::Equals operand")


class _LazyConditions(Mapping[str, bool]):
    """Conditions as seen by Fn::If inside an operand: evaluated on first use."""

    def __init__(self, evaluator: _Evaluator) -> None:
        self.evaluator = evaluator

    def __getitem__(self, name: str) -> bool:
        if name not in self.evaluator.expressions:
            raise KeyError(name)
        return self.evaluator.value(name)

    def __contains__(self, name: object) -> bool:
        return name in self.evaluator.expressions

    def __iter__(self) -> Iterator[str]:
        return iter(self.evaluator.expressions)

    def __len__(self) -> int:
        return len(self.evaluator.expressions)


class _OperandContext:
    """The caller's context without resources, which conditions may not use."""

    def __init__(self, context: ResolveContext, evaluator: _Evaluator) -> None:
        self.context = context
        self.conditions: Mapping[str, bool] = _LazyConditions(evaluator)

    @property
    def parameters(self) -> Mapping[str, ParameterValue]:
        return self.context.parameters

    @property
    def pseudo_parameters(self) -> Mapping[str, ParameterValue]:
        return self.context.pseudo_parameters

    @property
    def mappings(self) -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
        return self.context.mappings

    def availability_zones(self, region: str) -> Sequence[str]:
        return self.context.availability_zones(region)

    def resource_ref(self, name: str) -> str:
        raise TemplateError(
            f'Ref to "{name}", which is not a parameter (conditions cannot use resources)'
        )

    def attribute(self, name: str, attribute: str) -> Any:
        raise TemplateError("Fn::GetAtt cannot be used in conditions")
