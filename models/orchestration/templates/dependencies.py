"""Which resources wait for which: the graph, its cycles, and the order to create and delete.

A resource depends on the resources in its DependsOn and on every resource its Properties or
Metadata refer to with Ref, Fn::GetAtt or a Fn::Sub variable (`${Res}`, `${Res.Attr}`).

Decisions:
- With evaluated conditions, resources whose condition is false are left out, and only the
  branch each Fn::If takes counts; a reference from an included resource to an excluded one
  is an error (CloudFormation: "Unresolved resource dependencies"). Without conditions
  (static validation) every resource and both branches count, so a cycle is found even if
  only some parameter values would make it real.
- A resource's Metadata may name the resource itself (cfn-init reads it after creation), so a
  self-reference there is no dependency; in Properties it is a cycle of one.
- Cycles are reported as a closed chain starting from the first resource, in template order,
  that is on it: `Circular dependency between resources: A -> B -> A`.
- Levels are sorted by name so the same template always gives the same plan. A level's
  resources may be created concurrently; deletion uses the reversed graph, so a resource is
  deleted only once everything depending on it is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from models.orchestration.templates.errors import PathPart, TemplateError, resource_where
from models.orchestration.templates.model import ResourceDef, Template
from models.orchestration.templates.syntax import (
    SubVariable,
    get_att_arguments,
    iter_calls,
    parse_sub,
    sub_arguments,
)

Graph = Mapping[str, Iterable[str]]


def dependency_graph(
    template: Template, conditions: Mapping[str, bool] | None = None
) -> dict[str, frozenset[str]]:
    """name -> names it depends on, for the resources the conditions include."""
    included = {
        name: resource
        for name, resource in template.resources.items()
        if _is_included(resource, conditions)
    }
    graph: dict[str, frozenset[str]] = {}
    for name, resource in included.items():
        dependencies: set[str] = set()
        for target in resource.depends_on:
            _check_target(template, included, name, target, resource_where(name, "DependsOn"))
            dependencies.add(target)
        for target, field, path in _references(template, resource, conditions):
            if field == "Metadata" and target == name:
                continue
            where = resource_where(name, "Metadata" if field == "Metadata" else "property")
            _check_target(template, included, name, target, where, path)
            dependencies.add(target)
        graph[name] = frozenset(dependencies)
    _raise_on_cycle(graph)
    return graph


def _is_included(resource: ResourceDef, conditions: Mapping[str, bool] | None) -> bool:
    if conditions is None or resource.condition is None:
        return True
    if resource.condition not in conditions:
        raise TemplateError(
            f'condition "{resource.condition}" has not been evaluated',
            where=f'Resource "{resource.name}"',
        )
    return conditions[resource.condition]


def _check_target(
    template: Template,
    included: Mapping[str, ResourceDef],
    name: str,
    target: str,
    where: str,
    path: tuple[PathPart, ...] = (),
) -> None:
    if target in included:
        return
    if target not in template.resources:
        raise TemplateError(f'unknown resource "{target}"', where=where, path=path)
    condition = template.resources[target].condition
    raise TemplateError(
        f'refers to resource "{target}", which is not created because its condition '
        f'"{condition}" is false',
        where=where,
        path=path,
    )


def _references(
    template: Template, resource: ResourceDef, conditions: Mapping[str, bool] | None
) -> Iterator[tuple[str, str, tuple[PathPart, ...]]]:
    """(resource name, "Properties" or "Metadata", path) for each reference to a resource."""
    for field, value in (("Properties", resource.properties), ("Metadata", resource.metadata)):
        for call in iter_calls(value, conditions=conditions):
            for target in _call_targets(call.name, call.args):
                if target in template.resources:
                    yield target, field, call.path


def _call_targets(name: str, args: Any) -> Iterator[str]:
    # Arguments of the wrong shape are validate_references' to report; here they are skipped.
    if name == "Ref" and isinstance(args, str):
        yield args
    elif name == "Fn::GetAtt" and isinstance(args, str | list) and args:
        resource, _ = get_att_arguments(args)
        if isinstance(resource, str):
            yield resource
    elif name == "Fn::Sub" and (isinstance(args, str) or (isinstance(args, list) and args)):
        text, variables = sub_arguments(args)
        if not isinstance(text, str) or not isinstance(variables, dict):
            return
        try:
            parts = parse_sub(text)
        except TemplateError:
            return
        for part in parts:
            if isinstance(part, SubVariable) and part.name not in variables:
                yield part.name.partition(".")[0]


def find_cycle(graph: Graph) -> list[str] | None:
    """A closed chain such as [A, B, A], or None. Iterative, so deep graphs cannot overflow."""
    order = {name: index for index, name in enumerate(graph)}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for start in graph:
        if start in state:
            continue
        path: list[str] = [start]
        state[start] = 1
        stack: list[Iterator[str]] = [iter(sorted(graph[start], key=lambda n: order.get(n, -1)))]
        while stack:
            successor = next(stack[-1], None)
            if successor is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(successor) == 1:
                cycle = path[path.index(successor) :]
                first = min(range(len(cycle)), key=lambda i: order.get(cycle[i], -1))
                cycle = cycle[first:] + cycle[:first]
                return [*cycle, cycle[0]]
            if successor not in state and successor in graph:
                state[successor] = 1
                path.append(successor)
                successors = sorted(graph[successor], key=lambda n: order.get(n, -1))
                stack.append(iter(successors))
    return None


def _raise_on_cycle(graph: Graph) -> None:
    cycle = find_cycle(graph)
    if cycle:
        raise TemplateError("Circular dependency between resources: " + " -> ".join(cycle))


def creation_order_levels(graph: Graph) -> list[list[str]]:
    """Resources level by level: each level depends only on earlier ones."""
    return _levels({name: set(dependencies) for name, dependencies in graph.items()})


def deletion_order_levels(graph: Graph) -> list[list[str]]:
    """Levels for deleting: each level is depended on only by earlier ones."""
    dependents: dict[str, set[str]] = {name: set() for name in graph}
    for name, dependencies in graph.items():
        for dependency in dependencies:
            dependents.setdefault(dependency, set()).add(name)
    return _levels(dependents)


def creation_order(graph: Graph) -> list[str]:
    """One creation order (the levels flattened), for an engine that works one at a time."""
    return [name for level in creation_order_levels(graph) for name in level]


def deletion_order(graph: Graph) -> list[str]:
    return [name for level in deletion_order_levels(graph) for name in level]


def _levels(graph: dict[str, set[str]]) -> list[list[str]]:
    for name, dependencies in graph.items():
        missing = sorted(dependencies - graph.keys())
        if missing:
            raise TemplateError(
                f'Resource "{name}" depends on "{missing[0]}", which is not in the graph'
            )
    _raise_on_cycle(graph)
    remaining = dict(graph)
    done: set[str] = set()
    levels: list[list[str]] = []
    while remaining:
        level = sorted(name for name, deps in remaining.items() if deps <= done)
        levels.append(level)
        done.update(level)
        for name in level:
            del remaining[name]
    return levels
