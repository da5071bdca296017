"""dependency_graph, cycles, and creation/deletion levels."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from models.orchestration.templates import (
    TemplateError,
    creation_order,
    creation_order_levels,
    deletion_order,
    deletion_order_levels,
    dependency_graph,
    find_cycle,
    parse_template,
)

pytestmark = pytest.mark.unit


def graph_of(resources: dict[str, Any], conditions: dict[str, bool] | None = None) -> Any:
    document: dict[str, Any] = {
        "Parameters": {"Param": {"Type": "String", "Default": "x"}},
        "Resources": resources,
    }
    if conditions:
        document["Conditions"] = {name: {"Fn::Equals": ["a", "a"]} for name in conditions}
    return dependency_graph(parse_template(json.dumps(document)), conditions)


def T(**attributes: Any) -> dict[str, Any]:  # reads like a resource literal
    return {"Type": "T", **attributes}


@pytest.mark.parametrize(
    ("properties", "depends"),
    [
        ({"P": {"Ref": "A"}}, {"A"}),
        ({"P": {"Fn::GetAtt": ["A", "X"]}}, {"A"}),
        ({"P": {"Fn::GetAtt": "A.X.Y"}}, {"A"}),
        ({"P": {"Fn::Sub": "${A}"}}, {"A"}),
        ({"P": {"Fn::Sub": "${A.X}-${B}"}}, {"A", "B"}),
        ({"P": {"Fn::Sub": "${!A}"}}, set()),  # escaped: literal text
        ({"P": {"Fn::Sub": ["${A}", {"A": "x"}]}}, set()),  # Sub's own variable
        ({"P": {"Fn::Sub": ["${V}", {"V": {"Ref": "B"}}]}}, {"B"}),
        ({"P": {"Ref": "Param"}}, set()),
        ({"P": {"Ref": "AWS::Region"}}, set()),
        (
            {"P": [{"K": {"Fn::Join": ["", [{"Ref": "A"}, {"Fn::GetAtt": ["B", "X"]}]]}}]},
            {"A", "B"},
        ),
        ({"P": {"Fn::Select": [0, {"Fn::GetAtt": ["A", "List"]}]}}, {"A"}),
        ({"P": {"Fn::If": ["C", {"Ref": "A"}, {"Ref": "B"}]}}, {"A", "B"}),  # no conditions yet
        ({"P": "A"}, set()),  # plain text naming a resource is no reference
    ],
)
def test_implicit_dependencies(properties: dict[str, Any], depends: set[str]) -> None:
    graph = graph_of({"A": T(), "B": T(), "R": T(Properties=properties)})
    assert graph["R"] == frozenset(depends)


def test_malformed_calls_are_left_to_validate_references() -> None:
    graph = graph_of(
        {
            "A": T(),
            "R": T(
                Properties={
                    "P": {"Fn::Sub": ["${A}", "not a mapping"]},
                    "Q": {"Fn::Sub": "${}"},
                }
            ),
        }
    )
    assert graph["R"] == frozenset()


def test_templates_built_in_code_are_checked_too() -> None:
    template = parse_template(json.dumps({"Resources": {"A": T()}}))
    broken = replace(
        template,
        resources={"A": replace(template.resources["A"], depends_on=("Ghost",))},
    )
    with pytest.raises(TemplateError, match='Resource "A": DependsOn: unknown resource "Ghost"'):
        dependency_graph(broken)


def test_depends_on_and_references_combine() -> None:
    graph = graph_of({"A": T(), "B": T(), "C": T(DependsOn=["A"], Properties={"P": {"Ref": "B"}})})
    assert graph == {"A": frozenset(), "B": frozenset(), "C": frozenset({"A", "B"})}


def test_metadata_references_count_but_not_self_references() -> None:
    graph = graph_of(
        {
            "Handle": T(),
            "Web": T(Metadata={"Wait": {"Ref": "Handle"}, "Me": {"Ref": "Web"}}),
        }
    )
    assert graph["Web"] == frozenset({"Handle"})


def test_self_reference_in_properties_is_a_cycle() -> None:
    with pytest.raises(TemplateError, match="Circular dependency between resources: A -> A"):
        graph_of({"A": T(Properties={"P": {"Fn::GetAtt": ["A", "X"]}})})


@pytest.mark.parametrize(
    ("resources", "cycle"),
    [
        ({"A": T(DependsOn="B"), "B": T(DependsOn="A")}, "A -> B -> A"),
        ({"B": T(DependsOn="A"), "A": T(DependsOn="B")}, "B -> A -> B"),  # template order
        (
            {
                "Start": T(DependsOn="X"),
                "X": T(Properties={"P": {"Ref": "Y"}}),
                "Y": T(Properties={"P": {"Fn::Sub": "${Z.Attr}"}}),
                "Z": T(DependsOn="X"),
            },
            "X -> Y -> Z -> X",
        ),
    ],
)
def test_cycles_are_named(resources: dict[str, Any], cycle: str) -> None:
    with pytest.raises(TemplateError) as caught:
        graph_of(resources)
    assert caught.value.message == f"Circular dependency between resources: {cycle}"


def test_conditions_exclude_resources_and_untaken_branches() -> None:
    resources = {
        "Always": T(),
        "ProdOnly": T(Condition="IsProd"),
        "DevOnly": T(Condition="IsDev"),
        "Web": T(
            Properties={
                "P": {"Fn::If": ["IsProd", {"Ref": "ProdOnly"}, {"Ref": "DevOnly"}]},
                "Q": {"Ref": "Always"},
            }
        ),
    }
    prod = graph_of(resources, {"IsProd": True, "IsDev": False})
    assert prod == {
        "Always": frozenset(),
        "ProdOnly": frozenset(),
        "Web": frozenset({"Always", "ProdOnly"}),
    }
    dev = graph_of(resources, {"IsProd": False, "IsDev": True})
    assert dev["Web"] == frozenset({"Always", "DevOnly"})
    assert "ProdOnly" not in dev


@pytest.mark.parametrize(
    ("web", "message"),
    [
        (
            T(Properties={"Tags": [{"Value": {"Ref": "Excluded"}}]}),
            'Resource "Web": property "Tags[0].Value": refers to resource "Excluded", which is '
            'not created because its condition "Off" is false',
        ),
        (
            T(DependsOn="Excluded"),
            'Resource "Web": DependsOn: refers to resource "Excluded", which is not created',
        ),
        (
            T(Metadata={"M": {"Fn::GetAtt": ["Excluded", "X"]}}),
            'Resource "Web": Metadata "M": refers to resource "Excluded"',
        ),
    ],
)
def test_references_to_excluded_resources(web: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        graph_of({"Excluded": T(Condition="Off"), "Web": web}, {"Off": False})
    assert caught.value.message.startswith(message)


def test_conditions_must_have_been_evaluated() -> None:
    with pytest.raises(TemplateError, match='Resource "A": condition "C" has not been evaluated'):
        dependency_graph(
            parse_template(
                json.dumps(
                    {
                        "Conditions": {"C": {"Fn::Equals": ["a", "a"]}},
                        "Resources": {"A": T(Condition="C")},
                    }
                )
            ),
            {},
        )


# --- Levels --------------------------------------------------------------------------------------

DIAMOND = {
    "Top": frozenset(),
    "Left": frozenset({"Top"}),
    "Right": frozenset({"Top"}),
    "Bottom": frozenset({"Left", "Right"}),
    "Lone": frozenset(),
}


@pytest.mark.parametrize(
    ("graph", "create", "delete"),
    [
        ({}, [], []),
        ({"A": frozenset()}, [["A"]], [["A"]]),
        (
            DIAMOND,
            [["Lone", "Top"], ["Left", "Right"], ["Bottom"]],
            [["Bottom", "Lone"], ["Left", "Right"], ["Top"]],
        ),
        (
            {"C": {"B"}, "B": {"A"}, "A": set()},
            [["A"], ["B"], ["C"]],
            [["C"], ["B"], ["A"]],
        ),
        # A short chain next to a long one: each resource goes as early as it can.
        (
            {"A": set(), "B": {"A"}, "C": {"B"}, "X": set(), "Y": {"A", "X"}},
            [["A", "X"], ["B", "Y"], ["C"]],
            [["C", "Y"], ["B", "X"], ["A"]],
        ),
    ],
)
def test_levels(graph: dict[str, Any], create: list[list[str]], delete: list[list[str]]) -> None:
    assert creation_order_levels(graph) == create
    assert deletion_order_levels(graph) == delete
    assert creation_order(graph) == [name for level in create for name in level]
    assert deletion_order(graph) == [name for level in delete for name in level]


def test_every_resource_is_created_after_its_dependencies() -> None:
    graph = {f"R{i}": {f"R{j}" for j in range(i) if (i * j) % 3 == 1} for i in range(40)}
    position = {name: i for i, level in enumerate(creation_order_levels(graph)) for name in level}
    assert all(position[dep] < position[name] for name, deps in graph.items() for dep in deps)
    deleted = {name: i for i, level in enumerate(deletion_order_levels(graph)) for name in level}
    assert all(deleted[dep] > deleted[name] for name, deps in graph.items() for dep in deps)


def test_levels_reject_cycles_and_unknown_names() -> None:
    with pytest.raises(TemplateError, match="Circular dependency between resources: A -> B -> A"):
        creation_order_levels({"A": {"B"}, "B": {"A"}})
    with pytest.raises(TemplateError, match="Circular dependency"):
        deletion_order_levels({"A": {"B"}, "B": {"A"}})
    with pytest.raises(TemplateError, match='"A" depends on "Ghost", which is not in the graph'):
        creation_order_levels({"A": {"Ghost"}})


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({}, None),
        ({"A": set()}, None),
        ({"A": {"A"}}, ["A", "A"]),
        ({"A": {"B"}, "B": {"C"}, "C": set()}, None),
        ({"A": {"B"}, "B": {"C"}, "C": {"B"}}, ["B", "C", "B"]),
        ({"Z": {"Y"}, "Y": {"X"}, "X": {"Z"}}, ["Z", "Y", "X", "Z"]),
    ],
)
def test_find_cycle(graph: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(graph) == cycle


def test_find_cycle_handles_long_chains_without_recursion() -> None:
    graph = {f"N{i}": {f"N{i + 1}"} for i in range(5000)} | {"N5000": set()}
    assert find_cycle(graph) is None
    graph["N5000"] = {"N0"}
    cycle = find_cycle(graph)
    assert cycle is not None
    assert len(cycle) == 5002
