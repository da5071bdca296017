"""Static checks: every reference in a template points at something, before anything runs.

`validate_template` is what POST /validate and stack create call: after `parse_template`, it
reports the first problem as a TemplateError (the API answers 400) before any resource exists.
`reference_errors` lists them all, in template order.

What is checked, without parameter values or resources:
- every call has a known function with arguments of the right shape; unsupported functions
  (Fn::ImportValue, ...) are reported;
- Ref names a parameter, a pseudo parameter or a resource; Fn::GetAtt and `${Res.Attr}` name a
  resource (and, when the engine passes `attribute_exists`, an attribute its type has);
- Fn::Sub variables are defined by its own map, or are parameters, pseudo parameters or
  resources; AWS::NoValue is not a string, so it is no Sub variable;
- Fn::FindInMap names a mapping, and keys that exist when the keys are literal;
- Fn::If and `Condition` name a condition; condition expressions use only condition functions
  and do not refer to resources;
- the resource graph (DependsOn plus implicit references) has no cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from models.orchestration.templates.conditions import CONDITION_EXPECTED
from models.orchestration.templates.dependencies import dependency_graph, find_cycle
from models.orchestration.templates.errors import TemplateError, resource_where
from models.orchestration.templates.model import Template
from models.orchestration.templates.parameters import PSEUDO_PARAMETERS
from models.orchestration.templates.syntax import (
    CONDITION_FUNCTIONS,
    NO_VALUE_NAME,
    Call,
    SubVariable,
    as_call,
    check_arguments,
    get_att_arguments,
    iter_calls,
    parse_sub,
    sub_arguments,
)

# (resource type, attribute name) -> whether the type has that attribute
AttributeCheck = Callable[[str, str], bool]


def validate_template(
    template: Template, *, attribute_exists: AttributeCheck | None = None
) -> None:
    """Raise the first reference problem, or a dependency cycle, as TemplateError."""
    validate_references(template, attribute_exists=attribute_exists)
    dependency_graph(template)


def validate_references(
    template: Template, *, attribute_exists: AttributeCheck | None = None
) -> None:
    errors = reference_errors(template, attribute_exists=attribute_exists)
    if errors:
        raise errors[0]


def reference_errors(
    template: Template, *, attribute_exists: AttributeCheck | None = None
) -> list[TemplateError]:
    checker = _Checker(template, attribute_exists)
    for name, expression in template.conditions.items():
        checker.check_condition(expression, f'Condition "{name}"')
    checker.check_condition_cycles()
    for name, resource in template.resources.items():
        checker.check_value(resource.properties, resource_where(name))
        checker.check_value(resource.metadata, resource_where(name, "Metadata"))
    for name, output in template.outputs.items():
        checker.check_value(output.value, f'Output "{name}": Value')
    return checker.errors


class _Checker:
    def __init__(self, template: Template, attribute_exists: AttributeCheck | None) -> None:
        self.template = template
        self.attribute_exists = attribute_exists
        self.errors: list[TemplateError] = []

    def report(self, error: TemplateError, where: str) -> None:
        self.errors.append(error.located(where))

    def check_value(self, value: Any, where: str, *, in_condition: bool = False) -> None:
        calls: Iterator[Call] = iter_calls(value)
        while True:
            try:
                call = next(calls)
            except StopIteration:
                return
            except TemplateError as error:  # a malformed mapping ends this walk
                self.report(error, where)
                return
            try:
                self.check_call(call, in_condition)
            except TemplateError as error:
                path = () if in_condition else call.path
                self.report(TemplateError(error.detail, path=path), where)

    def check_call(self, call: Call, in_condition: bool) -> None:
        if call.name in CONDITION_FUNCTIONS:
            raise TemplateError(f"{call.name} can only be used in condition expressions")
        check_arguments(call.name, call.args)
        if call.name == "Ref":
            self.check_ref(call.args, in_condition)
        elif call.name == "Fn::GetAtt":
            resource, attribute = get_att_arguments(call.args)
            self.check_get_att(resource, attribute, in_condition)
        elif call.name == "Fn::Sub":
            self.check_sub(call.args, in_condition)
        elif call.name == "Fn::FindInMap":
            self.check_find_in_map(call.args)
        elif call.name == "Fn::If" and call.args[0] not in self.template.conditions:
            raise TemplateError(f'Fn::If: unknown condition "{call.args[0]}"')

    def check_ref(self, name: str, in_condition: bool, what: str = "Ref to") -> None:
        if name in self.template.parameters or name in PSEUDO_PARAMETERS:
            return
        if name in self.template.resources:
            if in_condition:
                raise TemplateError(f'{what} resource "{name}": conditions cannot use resources')
            return
        raise TemplateError(f'{what} unknown parameter or resource "{name}"')

    def check_get_att(self, resource: str, attribute: Any, in_condition: bool) -> None:
        if in_condition:
            raise TemplateError("Fn::GetAtt cannot be used in conditions")
        if resource not in self.template.resources:
            raise TemplateError(f'Fn::GetAtt on unknown resource "{resource}"')
        resource_type = self.template.resources[resource].type
        if (
            isinstance(attribute, str)
            and self.attribute_exists is not None
            and not self.attribute_exists(resource_type, attribute)
        ):
            raise TemplateError(
                f'Fn::GetAtt: resource "{resource}" ({resource_type}) '
                f'has no attribute "{attribute}"'
            )

    def check_sub(self, args: Any, in_condition: bool) -> None:
        text, variables = sub_arguments(args)
        for part in parse_sub(text):
            if not isinstance(part, SubVariable) or part.name in variables:
                continue
            what = f'Fn::Sub variable "{part.name}" refers to'
            if "." in part.name:
                resource, _, attribute = part.name.partition(".")
                if resource not in self.template.resources:
                    raise TemplateError(f'{what} unknown resource "{resource}"')
                self.check_get_att(resource, attribute, in_condition)
            elif part.name == NO_VALUE_NAME:
                raise TemplateError("Fn::Sub cannot use AWS::NoValue")
            else:
                self.check_ref(part.name, in_condition, what)

    def check_find_in_map(self, args: list[Any]) -> None:
        map_name, top_key, second_key = args
        if not isinstance(map_name, str):
            return
        mapping = self.template.mappings.get(map_name)
        if mapping is None:
            raise TemplateError(f'Fn::FindInMap: unknown mapping "{map_name}"')
        if not isinstance(top_key, str | int) or isinstance(top_key, bool):
            return
        if str(top_key) not in mapping:
            raise TemplateError(f'Fn::FindInMap: mapping "{map_name}" has no key "{top_key}"')
        if isinstance(second_key, str | int) and str(second_key) not in mapping[str(top_key)]:
            raise TemplateError(
                f'Fn::FindInMap: mapping "{map_name}" key "{top_key}" has no key "{second_key}"'
            )

    def check_condition(self, expression: Any, where: str) -> None:
        try:
            call = as_call(expression, condition_key=True)
        except TemplateError as error:
            self.report(error, where)
            return
        if call is None:
            self.report(TemplateError(CONDITION_EXPECTED), where)
            return
        name, args = call
        if name == "Condition":
            self.check_condition_name(args, where)
            return
        try:
            if name not in CONDITION_FUNCTIONS:
                raise TemplateError(f"{name} {CONDITION_EXPECTED}")
            check_arguments(name, args)
        except TemplateError as error:
            self.report(error, where)
            return
        if name == "Fn::Equals":
            self.check_value(args, where, in_condition=True)
            return
        for operand in args:
            self.check_condition(operand, where)

    def check_condition_name(self, target: Any, where: str) -> None:
        if not isinstance(target, str):
            self.report(TemplateError("Condition takes the name of a condition"), where)
        elif target not in self.template.conditions:
            self.report(TemplateError(f'unknown condition "{target}"'), where)

    def check_condition_cycles(self) -> None:
        graph = {
            name: list(_condition_targets(expression))
            for name, expression in self.template.conditions.items()
        }
        cycle = find_cycle(graph)
        if cycle:
            chain = " -> ".join(cycle)
            self.report(
                TemplateError(f"conditions refer to each other in a cycle: {chain}"),
                f'Condition "{cycle[0]}"',
            )


def _condition_targets(expression: Any) -> Iterator[str]:
    """Names referred to with `Condition` anywhere in a condition expression."""
    if isinstance(expression, dict):
        if set(expression) == {"Condition"} and isinstance(expression["Condition"], str):
            yield expression["Condition"]
            return
        for value in expression.values():
            yield from _condition_targets(value)
    elif isinstance(expression, list):
        for value in expression:
            yield from _condition_targets(value)
