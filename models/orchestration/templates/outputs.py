"""Stack outputs, resolved one by one.

An output that cannot be resolved (its resource failed, an attribute is missing) gets an
`output_error` instead of a value, and the other outputs are still shown: Heat shows outputs
this way, and one broken output should not hide the rest of a stack's state. The message does
not repeat the output's name, which is in `output_key`. Only domain errors are caught;
anything else is a bug and should surface.

Outputs whose Condition is false are left out. A value that is AWS::NoValue shows as None.
"""

from __future__ import annotations

from typing import Any

from models.errors import DomainError
from models.orchestration.templates.functions import NO_VALUE, ResolveContext, resolve
from models.orchestration.templates.model import Template


def resolve_outputs(template: Template, context: ResolveContext) -> list[dict[str, Any]]:
    """[{output_key, output_value, description}, plus output_error when it failed], in order."""
    results: list[dict[str, Any]] = []
    for name, output in template.outputs.items():
        if output.condition is not None and not context.conditions.get(output.condition, False):
            continue
        entry: dict[str, Any] = {
            "output_key": name,
            "output_value": None,
            "description": output.description,
        }
        try:
            value = resolve(output.value, context)
        except DomainError as error:  # TemplateError included
            entry["output_error"] = error.message or str(error)
        else:
            entry["output_value"] = None if value is NO_VALUE else value
        results.append(entry)
    return results
