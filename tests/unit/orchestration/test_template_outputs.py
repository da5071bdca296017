"""resolve_outputs: values, descriptions, conditions, and per-output errors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from models.errors import NotFoundError
from models.orchestration.templates import StackContext, parse_template, resolve_outputs

pytestmark = pytest.mark.unit

TEMPLATE = parse_template(
    """
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
Resources:
  Web: {Type: AWS::EC2::Instance}
  Db: {Type: AWS::RDS::DBInstance}
Outputs:
  Url:
    Description: Where the site is
    Value: !Join ['', ['http://', !GetAtt Web.PublicIp, '/']]
  DbAddress:
    Value: !GetAtt Db.Endpoint.Address
  Nothing:
    Value: !If [IsDev, x, !Ref AWS::NoValue]
  DevOnly:
    Condition: IsDev
    Value: dev
  Listed:
    Value: [!Ref Web, !Ref Env]
"""
)


def context(**attributes: Any) -> StackContext:
    return StackContext(
        TEMPLATE,
        {"Env": "prod"},
        {},
        conditions={"IsProd": True, "IsDev": False},
        resource_refs={"Web": "i-1", "Db": "db-1"},
        resource_attributes=attributes,
    )


def test_outputs_resolve_in_order_and_skip_false_conditions() -> None:
    outputs = resolve_outputs(
        TEMPLATE,
        context(Web={"PublicIp": "192.0.2.1"}, Db={"Endpoint.Address": "10.0.0.5"}),
    )
    assert outputs == [
        {
            "output_key": "Url",
            "output_value": "http://192.0.2.1/",
            "description": "Where the site is",
        },
        {"output_key": "DbAddress", "output_value": "10.0.0.5", "description": None},
        {"output_key": "Nothing", "output_value": None, "description": None},
        {"output_key": "Listed", "output_value": ["i-1", "prod"], "description": None},
    ]


def test_a_failing_output_carries_its_error_and_the_others_still_resolve() -> None:
    outputs = resolve_outputs(TEMPLATE, context(Web={"PublicIp": "192.0.2.1"}))
    by_key = {output["output_key"]: output for output in outputs}
    assert by_key["Url"]["output_value"] == "http://192.0.2.1/"
    assert "output_error" not in by_key["Url"]
    assert by_key["DbAddress"] == {
        "output_key": "DbAddress",
        "output_value": None,
        "description": None,
        "output_error": 'Resource "Db" has no attribute "Endpoint.Address"',
    }


def test_domain_errors_from_the_engine_become_output_errors() -> None:
    class GoneContext(StackContext):
        def attribute(self, name: str, attribute: str) -> Any:
            raise NotFoundError(f"Resource {name} was deleted")

    outputs = resolve_outputs(TEMPLATE, GoneContext(**vars(context())))
    assert outputs[0]["output_error"] == "Resource Web was deleted"
    assert outputs[3]["output_value"] == ["i-1", "prod"]


def test_other_exceptions_are_bugs_and_propagate() -> None:
    class BrokenContext(StackContext):
        def attribute(self, name: str, attribute: str) -> Any:
            raise KeyError(name)

    with pytest.raises(KeyError):
        resolve_outputs(TEMPLATE, BrokenContext(**vars(context())))


def test_dev_conditions_show_the_conditional_output() -> None:
    dev = replace(context(), conditions={"IsProd": False, "IsDev": True})
    keys = [output["output_key"] for output in resolve_outputs(TEMPLATE, dev)]
    assert keys == ["Url", "DbAddress", "Nothing", "DevOnly", "Listed"]
    nothing = resolve_outputs(TEMPLATE, dev)[2]
    assert nothing["output_value"] == "x"
